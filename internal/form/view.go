package form

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/pkg/atlas"
)

// CreateForm is what the create form offers, and to whom.
type CreateForm struct {
	// Origin says where the form was opened and for whom; it becomes the
	// view's private_metadata. An empty Channel (the global shortcut) adds
	// the conversation picker.
	Origin Origin
	// Projects are the projects the person may create in, in the order to
	// show them (the policy's ProjectsFor). With exactly one it is
	// preselected.
	Projects []Project
	// DefaultProject is the group ID to preselect among several (the
	// channel's default project); ignored unless it is one of Projects.
	DefaultProject string
	// DefaultRegion is the policy's default region (an Atlas name or a
	// cloud code), preselected; ignored when empty or unknown.
	DefaultRegion string
}

// Texts of the view; each is within its Block Kit limit (a test checks).
const (
	title       = "Create workspace" // ≤ 24
	submitText  = "Create"           // ≤ 24
	closeText   = "Cancel"           // ≤ 24
	loadingText = "Opening the form…"
)

// BuildCreateView builds the create form for in. It returns
// [ErrNoProjects] when in offers no project (the person gets the policy's
// refusal instead of an empty form), [ErrTooManyProjects] beyond
// [MaxOptions] projects, and an error wrapping [ErrBadMetadata] when
// in.Origin is not valid, or an error when a project's ID is not a 24-hex
// group ID.
//
// The fields, in order: name (a text input of at most [atlas.MaxNameLen]
// characters), project (the given projects only), cloud region (one select
// with an option group per provider, each option showing the cloud's code
// and Atlas's name, e.g. "us-east-1 · VIRGINIA_USA"), tier (SP30
// preselected, as for the command), max tier (optional), the sample solar
// connection (a checkbox), and — when the form comes from the global
// shortcut — the conversation to post the thread in (optional; without
// one, a direct message).
func BuildCreateView(in CreateForm) (slack.ModalViewRequest, error) {
	switch {
	case len(in.Projects) == 0:
		return slack.ModalViewRequest{}, ErrNoProjects
	case len(in.Projects) > MaxOptions:
		return slack.ModalViewRequest{}, fmt.Errorf("%w: %d projects, at most %d", ErrTooManyProjects, len(in.Projects), MaxOptions)
	}
	if err := in.Origin.validate(); err != nil {
		return slack.ModalViewRequest{}, err
	}
	for _, p := range in.Projects {
		if err := atlas.ValidateGroupID(p.GroupID); err != nil {
			return slack.ModalViewRequest{}, fmt.Errorf("form: project %q: %w", p.Alias, err)
		}
	}

	var blocks []slack.Block
	if ch := in.Origin.Channel; ch != "" {
		where := "<#" + ch + ">" // a checked ID: no markup can hide in it
		if ch[0] == 'D' {
			where = "this direct message"
		}
		blocks = append(blocks, slack.NewContextBlock("intro", slack.NewTextBlockObject(slack.MarkdownType,
			"The workspace's thread will be posted in "+where+", as for `/stream create`.", false, false)))
	}

	name := slack.NewPlainTextInputBlockElement(plain("orders-ws"), BlockName)
	name.MaxLength = atlas.MaxNameLen
	name.FocusOnLoad = true
	blocks = append(blocks, input(BlockName, "Workspace name", name,
		"ASCII letters, digits and hyphens, at most "+strconv.Itoa(atlas.MaxNameLen)+". It cannot be changed later.", false))

	blocks = append(blocks, input(BlockProject, "Project", projectSelect(in), "", false))

	region := staticSelect(BlockRegion, "Choose a region")
	region.OptionGroups = regionGroups()
	if r, ok := command.LookupRegion(in.DefaultRegion); ok && in.DefaultRegion != "" {
		region.InitialOption = regionOption(r)
	}
	blocks = append(blocks, input(BlockRegion, "Cloud region", region, "Grouped by cloud provider.", false))

	tier := staticSelect(BlockTier, "Choose a tier")
	tier.Options = tierOptions()
	tier.InitialOption = tierOption(atlas.TierSP30)
	blocks = append(blocks, input(BlockTier, "Tier", tier, "Memory and vCPUs per processor; SP30 is the default.", false))

	maxTier := staticSelect(BlockMaxTier, "No autoscaling")
	maxTier.Options = tierOptions()
	blocks = append(blocks, input(BlockMaxTier, "Max tier", maxTier,
		"The largest tier the workspace may scale to; not below the tier.", true))

	solar := slack.NewCheckboxGroupsBlockElement(BlockSampleSolar, sampleSolarOption())
	blocks = append(blocks, input(BlockSampleSolar, "Sample data", solar, "", true))

	if in.Origin.Channel == "" {
		ch := slack.NewOptionsSelectBlockElement(slack.OptTypeConversations, plain("A direct message from the bot"), BlockChannel)
		ch.Filter = &slack.SelectBlockElementFilter{Include: []string{"public", "private"}, ExcludeBotUsers: true}
		// Slack then sends a response_url for the picked channel with the
		// submission: the fallback when the bot is not in that channel.
		ch.ResponseURLEnabled = true
		blocks = append(blocks, input(BlockChannel, "Post the thread in", ch,
			"Leave it empty for a direct message. In a channel, the bot must be a member.", true))
	}

	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           plain(title),
		Submit:          plain(submitText),
		Close:           plain(closeText),
		Blocks:          slack.Blocks{BlockSet: blocks},
		PrivateMetadata: in.Origin.Metadata(),
		CallbackID:      CallbackID,
	}, nil
}

// LoadingView is a minimal modal to open at once when building the form
// could make views.open miss the trigger_id's 3 seconds; views.update then
// replaces it with [BuildCreateView]'s view (the callback_id travels with
// it). It has no inputs, so it cannot be submitted.
func LoadingView() slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		Title:      plain(title),
		Close:      plain(closeText),
		Blocks:     slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(plain(loadingText), nil, nil)}},
		CallbackID: CallbackID,
	}
}

// noticeCallbackID names the notice that replaces a refused form; it has
// no inputs, so it is never submitted.
const noticeCallbackID = "create_workspace_notice"

// NoticeView is a modal that only says text (mrkdwn, already escaped; cut
// at Slack's 3,000 characters): what the Slack edge opens instead of the
// form when it must not offer one, e.g. the policy's refusal to a person it
// allows nowhere who used the global shortcut (which has no channel to
// answer in).
func NoticeView(text string) slack.ModalViewRequest { return *noticeView(clip(text, maxText)) }

// NoticeResponse replaces a submitted form with a notice saying text
// (mrkdwn, already escaped): the answer when the policy refuses the
// submission at submit time, or when the hand-off to the worker fails.
func NoticeResponse(text string) slack.ViewSubmissionResponse {
	return *slack.NewUpdateViewSubmissionResponse(noticeView(clip(text, maxText)))
}

// maxText is the most characters of a section block's text.
const maxText = 3000

// noticeView is a modal that only says text (mrkdwn, already escaped); a
// refused submission is answered by replacing the form with one.
func noticeView(text string) *slack.ModalViewRequest {
	return &slack.ModalViewRequest{
		Type:       slack.VTModal,
		Title:      plain(title),
		Close:      plain("Close"),
		Blocks:     slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)}},
		CallbackID: noticeCallbackID,
	}
}

func projectSelect(in CreateForm) *slack.SelectBlockElement {
	s := staticSelect(BlockProject, "Choose a project")
	seen := make(map[string]bool, len(in.Projects))
	for _, p := range in.Projects {
		if seen[p.GroupID] { // option values must be unique
			continue
		}
		seen[p.GroupID] = true
		o := projectOption(p)
		s.Options = append(s.Options, o)
		if len(in.Projects) == 1 || (in.DefaultProject != "" && p.GroupID == in.DefaultProject) {
			s.InitialOption = o
		}
	}
	return s
}

// projectOption shows a project by its alias, with its ID below; the value
// is the ID, which ParseSubmission looks up among the allowed projects.
func projectOption(p Project) *slack.OptionBlockObject {
	var desc *slack.TextBlockObject
	if p.Alias != "" {
		desc = plain(p.GroupID)
	}
	return slack.NewOptionBlockObject(p.GroupID, plain(clip(p.label(), maxOptionText)), desc)
}

// regionGroups is one option group per provider, in the order of
// [atlas.Providers], with that provider's regions in the order of
// [atlas.Regions] (the order help lists them in).
func regionGroups() []*slack.OptionGroupBlockObject {
	var groups []*slack.OptionGroupBlockObject
	for _, p := range atlas.Providers {
		var opts []*slack.OptionBlockObject
		for _, name := range atlas.Regions(p) {
			r, _ := command.LookupRegion(name) // every Atlas region is in the table (a test checks)
			opts = append(opts, regionOption(r))
		}
		groups = append(groups, slack.NewOptionGroupBlockElement(plain(string(p)), opts...))
	}
	return groups
}

// regionOption shows both names, the cloud's code first as people know it:
// "us-east-1 · VIRGINIA_USA"; Azure's Atlas names are its codes, so they
// show once. The value is Atlas's name.
func regionOption(r command.Region) *slack.OptionBlockObject {
	text := r.Name
	if r.Code != "" {
		text = r.Code + " · " + r.Name
	}
	return slack.NewOptionBlockObject(r.Name, plain(text), nil)
}

func tierOptions() []*slack.OptionBlockObject {
	opts := make([]*slack.OptionBlockObject, len(atlas.Tiers))
	for i, t := range atlas.Tiers {
		opts[i] = tierOption(t)
	}
	return opts
}

func tierOption(t atlas.Tier) *slack.OptionBlockObject {
	return slack.NewOptionBlockObject(string(t), plain(string(t)), nil)
}

func sampleSolarOption() *slack.OptionBlockObject {
	return slack.NewOptionBlockObject(sampleSolarValue, plain("Add the sample solar connection"),
		plain("sample_stream_solar: Atlas's demo data source"))
}

func staticSelect(actionID, placeholder string) *slack.SelectBlockElement {
	return slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain(placeholder), actionID)
}

// input is an input block whose element's action_id is its block_id.
func input(blockID, label string, el slack.BlockElement, hint string, optional bool) *slack.InputBlock {
	b := slack.NewInputBlock(blockID, plain(label), nil, el)
	if hint != "" {
		b.Hint = plain(hint)
	}
	b.Optional = optional
	return b
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

// maxOptionText is the most characters an option's text may have; a
// policy's alias could be longer.
const maxOptionText = 75

// clip cuts s to at most n characters, ending in "…" when cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
