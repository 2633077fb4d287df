package form

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/pkg/atlas"
)

// Submission is a valid create form: the command it stands for and where
// its answers go.
type Submission struct {
	// Command is the create command the form stands for, as [command.Parse]
	// returns it for the equivalent `/stream create …` text (ParseSubmission
	// checks that it does): Project is the chosen project's group ID, the
	// provider is the region's.
	Command command.Command
	// Project is the chosen project, one of the allowed projects given to
	// ParseSubmission.
	Project Project
	// Origin is the verified private_metadata: who opened the form and where.
	Origin Origin
	// Channel is where the thread goes: the channel the command was typed
	// in, or the one picked in the form opened from the shortcut; empty for
	// a direct message to Origin.User (see [Submission.Destination]).
	Channel string
	// ResponseURL is Slack's response_url for the picked channel (the
	// picker has response_url_enabled), the fallback when the bot is not a
	// member; empty otherwise. It is a credential: never log it.
	ResponseURL string
	// TeamID and ViewID identify the submission, for the audit log.
	TeamID, ViewID string
}

// Destination is where the worker posts the thread: Channel, or, when the
// form chose none, the user's ID with dm true (chat.postMessage to a user ID
// posts in the app's direct message with them).
func (s Submission) Destination() (channel string, dm bool) {
	if s.Channel == "" {
		return s.Origin.User, true
	}
	return s.Channel, false
}

// LogValue keeps ResponseURL out of logs.
func (s Submission) LogValue() slog.Value {
	url := ""
	if s.ResponseURL != "" {
		url = "[redacted]"
	}
	return slog.GroupValue(
		slog.String("command", s.Command.String()),
		slog.String("group_id", s.Project.GroupID),
		slog.String("slack_user", s.Origin.User),
		slog.String("channel", s.Channel),
		slog.String("response_url", url),
		slog.String("view_id", s.ViewID),
	)
}

// maxErrorText bounds one field error; the texts echo what the person typed.
const maxErrorText = 500

// ParseSubmission reads the create form's view_submission. allowed are the
// projects the policy lets the submitting person create in now (the policy
// is checked again at submit time: a project taken away since the form
// opened is refused on its field); now is the clock.
//
// It returns one of three outcomes:
//   - a non-nil error: the submission is refused as a whole — not a
//     view_submission ([ErrNotSubmission]), a view we did not open
//     ([ErrUnknownView]), missing or tampered private_metadata
//     ([ErrBadMetadata]), another person ([ErrWrongUser]), a stale form
//     ([ErrExpired]) or a block the form does not have ([ErrBadState]).
//     Answer with [RefusedResponse].
//   - field errors keyed by block_id (the [BlockName] … constants): answer
//     with [ErrorsResponse], and Slack shows each under its field. The texts
//     are the slash command's (the same code checks both), escaped.
//   - a Submission: close the form (an empty 200) and continue as
//     `/stream create …` would.
//
// Values the form never offered — a forged region, project, tier or
// checkbox — are refused on their field, as is a project no longer allowed.
func ParseSubmission(cb slack.InteractionCallback, allowed []Project, now time.Time) (Submission, map[string]string, error) {
	if cb.Type != slack.InteractionTypeViewSubmission {
		return Submission{}, nil, fmt.Errorf("%w: type %q", ErrNotSubmission, cb.Type)
	}
	if cb.View.CallbackID != CallbackID {
		return Submission{}, nil, fmt.Errorf("%w: callback_id %q", ErrUnknownView, cb.View.CallbackID)
	}
	origin, err := ParseMetadata(cb.View.PrivateMetadata)
	if err != nil {
		return Submission{}, nil, err
	}
	if err := origin.Verify(cb.User.ID, now); err != nil {
		return Submission{}, nil, err
	}
	var values map[string]map[string]slack.BlockAction
	if cb.View.State != nil {
		values = cb.View.State.Values
	}
	for id := range values {
		if !formBlock(id, origin) {
			return Submission{}, nil, fmt.Errorf("%w: block %q", ErrBadState, clip(id, 64))
		}
	}

	f := fields{values: values, errs: map[string]string{}}
	sub := Submission{Origin: origin, Channel: origin.Channel, TeamID: cb.Team.ID, ViewID: cb.View.ID}
	c := command.Command{Name: command.Create}

	if v, ok := f.get(BlockName, "plain_text_input"); ok {
		name, err := command.CheckName(v.Value)
		switch {
		case strings.TrimSpace(v.Value) == "":
			f.fail(BlockName, "Give the workspace a name.")
		case err != nil:
			f.fail(BlockName, usageText(err))
		default:
			c.Workspace = name
		}
	}
	if v, ok := f.get(BlockProject, "static_select"); ok {
		switch p, found := findProject(allowed, v.SelectedOption.Value); {
		case v.SelectedOption.Value == "":
			f.fail(BlockProject, "Choose a project.")
		case !found:
			f.fail(BlockProject, "You may not create workspaces in that project; choose one from the list.")
		default:
			sub.Project, c.Project = p, p.GroupID
		}
	}
	if v, ok := f.get(BlockRegion, "static_select"); ok {
		r, found := command.LookupRegion(v.SelectedOption.Value)
		switch {
		case v.SelectedOption.Value == "":
			f.fail(BlockRegion, "Choose a region.")
		case !found || r.Name != v.SelectedOption.Value:
			f.fail(BlockRegion, "That is not a region the form offers; choose one from the list.")
		default:
			c.Provider, c.Region = r.Provider, r.Name
		}
	}
	if v, ok := f.get(BlockTier, "static_select"); ok {
		switch t := atlas.Tier(v.SelectedOption.Value); {
		case t == "":
			f.fail(BlockTier, "Choose a tier.")
		case t.Rank() < 0:
			f.fail(BlockTier, "That is not a tier the form offers; choose one from the list.")
		default:
			c.Tier = t
		}
	}
	if v, ok := f.get(BlockMaxTier, "static_select"); ok && v.SelectedOption.Value != "" {
		if t := atlas.Tier(v.SelectedOption.Value); t.Rank() < 0 {
			f.fail(BlockMaxTier, "That is not a tier the form offers; choose one from the list.")
		} else {
			c.MaxTier = t
		}
	}
	if c.Tier != "" && c.MaxTier != "" {
		// the slash command's check (atlas.ValidateTiers), on the max tier's field
		var ve *atlas.ValidationError
		if err := atlas.ValidateTiers(c.Tier, c.MaxTier); errors.As(err, &ve) {
			f.fail(BlockMaxTier, sentence(ve.Message))
		} else if err != nil {
			f.fail(BlockMaxTier, err.Error())
		}
	}
	if v, ok := f.get(BlockSampleSolar, "checkboxes"); ok {
		switch opts := v.SelectedOptions; {
		case len(opts) == 1 && opts[0].Value == sampleSolarValue:
			c.SampleSolar = true
		case len(opts) > 0:
			f.fail(BlockSampleSolar, "That is not a choice the form offers.")
		}
	}
	if origin.Channel == "" {
		if v, ok := f.get(BlockChannel, "conversations_select"); ok && v.SelectedConversation != "" {
			if !slackID(v.SelectedConversation, "CGD") {
				f.fail(BlockChannel, "That is not a conversation the form offers; choose another.")
			} else {
				sub.Channel = v.SelectedConversation
				sub.ResponseURL = responseURLFor(cb, sub.Channel)
			}
		}
	}

	if len(f.errs) > 0 {
		return Submission{}, f.errs, nil
	}
	// The form's command must be one the slash command accepts as it is:
	// the same checks, whatever Parse learns later.
	again, err := command.Parse(c.String())
	if err != nil {
		f.fail(blockOf(err, c), usageText(err))
		return Submission{}, f.errs, nil
	}
	if again != c {
		return Submission{}, nil, fmt.Errorf("form: %q parses as %q", c.String(), again.String())
	}
	sub.Command = c
	return sub, nil, nil
}

// formBlock reports whether id is a block of the form opened from origin.
func formBlock(id string, origin Origin) bool {
	switch id {
	case BlockName, BlockProject, BlockRegion, BlockTier, BlockMaxTier, BlockSampleSolar:
		return true
	case BlockChannel:
		return origin.Channel == ""
	}
	return false
}

// fields reads the state's values and collects the field errors.
type fields struct {
	values map[string]map[string]slack.BlockAction
	errs   map[string]string
}

// get returns the value of the input block id (whose action_id is id
// too). A block without a value gives an empty action and true: the caller
// reports a required field as missing. A value of another element type than
// the form's gives false and a field error.
func (f *fields) get(id, elementType string) (slack.BlockAction, bool) {
	v, ok := f.values[id][id]
	if !ok {
		return slack.BlockAction{}, true // empty: the caller reports a required field
	}
	if string(v.Type) != elementType {
		f.fail(id, "This field's value could not be read; choose it again.")
		return slack.BlockAction{}, false
	}
	return v, true
}

func (f *fields) fail(id, msg string) {
	if _, ok := f.errs[id]; !ok {
		f.errs[id] = clip(reply.Escape(msg), maxErrorText)
	}
}

func findProject(allowed []Project, groupID string) (Project, bool) {
	if groupID == "" {
		return Project{}, false
	}
	for _, p := range allowed {
		if p.GroupID == groupID {
			return p, true
		}
	}
	return Project{}, false
}

// usageText is a usage error's message and suggestion, without the usage
// line: a form has its fields instead.
func usageText(err error) string {
	var ue *command.UsageError
	if errors.As(err, &ue) {
		e := *ue
		e.Usage = ""
		return e.Error()
	}
	return err.Error()
}

// responseURLFor picks the response_url Slack sent for channel (one per
// conversation picker with response_url_enabled).
func responseURLFor(cb slack.InteractionCallback, channel string) string {
	for _, r := range cb.ResponseURLs {
		if r.BlockID == BlockChannel && r.ChannelID == channel {
			return r.ResponseURL
		}
	}
	return ""
}

// ErrorsResponse is the answer to a submission with field errors: Slack
// keeps the form open and shows each text under the input block it is
// keyed by.
func ErrorsResponse(errs map[string]string) slack.ViewSubmissionResponse {
	return *slack.NewErrorsViewSubmissionResponse(errs)
}

// RefusedResponse is the answer to a submission ParseSubmission refused as a
// whole: the form is replaced by a notice saying what to do. Nothing was
// created. The detail of err is for the log, not for the person.
func RefusedResponse(err error) slack.ViewSubmissionResponse {
	text := ":no_entry: This form could not be checked, so nothing was created. Close it and open a new one with `/stream create`."
	switch {
	case errors.Is(err, ErrExpired):
		text = ":hourglass: This form was opened more than an hour ago, so nothing was created. Close it and open a new one with `/stream create`."
	case errors.Is(err, ErrWrongUser):
		text = ":no_entry: This form was opened for someone else, so nothing was created."
	}
	return *slack.NewUpdateViewSubmissionResponse(noticeView(text))
}

// FallbackExample is the command line [FallbackText] shows; it is what the
// form's defaults amount to (a test checks that it parses).
const FallbackExample = "/stream create orders-ws --region VIRGINIA_USA --tier SP30"

// FallbackText is the private answer when the form cannot open because
// views.open refused the trigger_id ([TriggerFailed]): the person types the
// command with flags instead.
func FallbackText() string {
	return "The form could not open in time (Slack gives it 3 seconds), so nothing was created. " +
		"Type the command with flags instead, for example:\n`" + FallbackExample + "`\n" +
		"`/stream help create` lists every flag, region and tier."
}

// TriggerFailed reports whether err from views.open (or views.push) means
// the trigger_id could not be used — expired_trigger_id (older than 3
// seconds), exchanged_trigger_id (already used) or invalid_trigger_id — so
// the person should get [FallbackText].
func TriggerFailed(err error) bool {
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		return false
	}
	switch se.Err {
	case "expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id":
		return true
	}
	return false
}

// blockOf is the field a usage error from re-parsing the form's command is
// about, by the token it names; the name's when it names none of them.
func blockOf(err error, c command.Command) string {
	var ue *command.UsageError
	if errors.As(err, &ue) && ue.Token != "" {
		switch ue.Token {
		case c.Region:
			return BlockRegion
		case string(c.Tier):
			return BlockTier
		case string(c.MaxTier):
			return BlockMaxTier
		case c.Project:
			return BlockProject
		}
	}
	return BlockName
}

// sentence makes a lowercase message a sentence: "the max tier must …" →
// "The max tier must ….".
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	return strings.ToUpper(msg[:1]) + msg[1:] + "."
}
