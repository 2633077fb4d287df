package infra_test

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/streambot/streambot/internal/form"
)

// botScopes are exactly the scopes the code uses; each needs a reason.
var botScopes = []string{
	"commands",         // the /stream slash command itself
	"chat:write",       // chat.postMessage (parent, thread reply), chat.update (status), chat.postEphemeral (private fallback)
	"usergroups:read",  // usergroups.users.list: policy grants to group:S… subjects
	"users:read",       // users.info: the caller's profile for atlas_role_check
	"users:read.email", // users.info's email field: the Atlas username for atlas_role_check
	// Not chat:write.public: the bot posts only in channels it was invited to
	// and otherwise answers through the command's response_url.
}

// manifest is the part of Slack's app manifest format the tests read.
type manifest struct {
	DisplayInformation struct {
		Name        string `yaml:"name"`
		Description string `yaml:"description"`
	} `yaml:"display_information"`
	Features struct {
		SlashCommands []struct {
			Command      string `yaml:"command"`
			URL          string `yaml:"url"`
			Description  string `yaml:"description"`
			UsageHint    string `yaml:"usage_hint"`
			ShouldEscape bool   `yaml:"should_escape"`
		} `yaml:"slash_commands"`
		AppHome struct {
			MessagesTabEnabled         bool `yaml:"messages_tab_enabled"`
			MessagesTabReadOnlyEnabled bool `yaml:"messages_tab_read_only_enabled"`
		} `yaml:"app_home"`
		Shortcuts []struct {
			Name        string `yaml:"name"`
			Type        string `yaml:"type"`
			CallbackID  string `yaml:"callback_id"`
			Description string `yaml:"description"`
		} `yaml:"shortcuts"`
	} `yaml:"features"`
	OAuthConfig struct {
		Scopes struct {
			Bot  []string `yaml:"bot"`
			User []string `yaml:"user"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		SocketModeEnabled bool `yaml:"socket_mode_enabled"`
		Interactivity     struct {
			IsEnabled  bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		} `yaml:"interactivity"`
	} `yaml:"settings"`
}

func TestSlackAppManifest(t *testing.T) {
	data, err := os.ReadFile("slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("parse manifest: %v", err)
	}
	if diff := cmp.Diff(botScopes, m.OAuthConfig.Scopes.Bot); diff != "" {
		t.Errorf("bot scopes (-want +got):\n%s", diff)
	}
	if len(m.OAuthConfig.Scopes.User) > 0 {
		t.Errorf("user scopes %v: streambot acts only as its bot", m.OAuthConfig.Scopes.User)
	}
	if len(m.Features.SlashCommands) != 1 {
		t.Fatalf("slash commands = %d, want one", len(m.Features.SlashCommands))
	}
	c := m.Features.SlashCommands[0]
	if c.Command != "/stream" {
		t.Errorf("command = %q, want /stream", c.Command)
	}
	if !strings.HasPrefix(c.URL, "https://") || !strings.HasSuffix(c.URL, slashRoute) {
		t.Errorf("url = %q, want an https placeholder ending in the template's route %s", c.URL, slashRoute)
	}
	// Slack limits: description 2000 characters, usage hint 1000; keep them short anyway.
	if c.Description == "" || len(c.Description) > 100 {
		t.Errorf("description = %q, want a short one", c.Description)
	}
	if i := m.Settings.Interactivity; !i.IsEnabled || !strings.HasPrefix(i.RequestURL, "https://") || !strings.HasSuffix(i.RequestURL, interactionsRoute) {
		t.Errorf("interactivity = %+v, want enabled with an https request_url ending in the template's route %s", i, interactionsRoute)
	}
	for _, sub := range []string{"create", "list", "describe", "update", "delete", "help", "--region"} {
		if !strings.Contains(c.UsageHint, sub) {
			t.Errorf("usage hint %q does not mention %s", c.UsageHint, sub)
		}
	}
	// The global shortcut opens the create form; the edge routes it by the
	// form's callback_id, so the two must agree.
	if len(m.Features.Shortcuts) != 1 {
		t.Fatalf("shortcuts = %d, want one", len(m.Features.Shortcuts))
	}
	if sc := m.Features.Shortcuts[0]; sc.Type != "global" || sc.CallbackID != form.CallbackID ||
		sc.Name != "Create a stream workspace" || sc.Description == "" || len(sc.Description) > 100 {
		t.Errorf("shortcut = %+v, want the global %q with callback_id %q and a short description", sc, "Create a stream workspace", form.CallbackID)
	}
	// The form's direct messages must be visible; nobody writes to the bot.
	if h := m.Features.AppHome; !h.MessagesTabEnabled || !h.MessagesTabReadOnlyEnabled {
		t.Errorf("app_home = %+v, want the Messages tab shown, read-only", h)
	}
	if m.DisplayInformation.Name == "" {
		t.Error("display_information.name is empty")
	}
	if m.Settings.SocketModeEnabled {
		t.Error("socket mode enabled: the deployed bot receives commands over HTTP")
	}
}
