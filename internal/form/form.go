// Package form is the create form (issue 13): the Slack modal that offers
// only what is valid — the projects a person may use, the regions grouped
// by cloud, the tiers — and the code that reads its view_submission back
// into the same [command.Command] that `/stream create …` produces.
//
// It is pure, like package command: no I/O and no policy. The Slack edge
// asks the policy which projects the person may create in, calls
// [BuildCreateView] and sends the view with views.open before it
// acknowledges the command or shortcut (the trigger_id lasts 3 seconds).
// When the view comes back as a view_submission it calls
// [ParseSubmission] with the projects the policy allows at that moment,
// answers field mistakes with [ErrorsResponse], a refused submission with
// [RefusedResponse], and hands a valid one to the worker exactly as it
// would hand `/stream create …`.
//
// The view carries its origin in private_metadata (see [Origin]): a small,
// versioned record we wrote, which arrives inside a Slack-signed request and
// is still parsed as strictly as a button value.
//
// Block Kit limits this package stays within (docs.slack.dev, reference/
// views/modal-views and reference/block-kit): a modal title, submit and
// close text at most 24 characters; private_metadata at most 3,000; an input
// label or hint at most 2,000; a placeholder at most 150; an option's text
// and description at most 75 and its value at most 150; at most 100 options
// in a select, 100 option groups, 100 options in each group, 10 checkboxes.
package form

import (
	"errors"
)

// CallbackID is the callback_id of the create form. The global shortcut
// "Create a stream workspace" has the same callback_id in the app manifest,
// so one name routes both the shortcut and the form's submission.
const CallbackID = "create_workspace"

// The block IDs of the form's input blocks. Each input's action_id is the
// same as its block_id. They are the keys of the field errors
// [ParseSubmission] returns, as response_action "errors" needs them.
const (
	BlockName        = "name"
	BlockProject     = "project"
	BlockRegion      = "region"
	BlockTier        = "tier"
	BlockMaxTier     = "max_tier"
	BlockSampleSolar = "sample_solar"
	// BlockChannel is the conversation picker; only the form opened from the
	// global shortcut has it.
	BlockChannel = "channel"
)

// sampleSolarValue is the value of the one checkbox of BlockSampleSolar.
const sampleSolarValue = "sample_solar"

// Project is one project a person may create in, as the access policy names
// it (the policy's ProjectsFor gives these).
type Project struct {
	// Alias is the policy's alias for the project; empty when the policy
	// knows it only by its ID.
	Alias string
	// GroupID is the project's 24-hex Atlas ID.
	GroupID string
}

// label is how a person sees p: its alias, or its ID when it has none.
func (p Project) label() string {
	if p.Alias != "" {
		return p.Alias
	}
	return p.GroupID
}

// Errors [BuildCreateView] returns. The Slack edge answers both with the
// private refusal or the text of [FallbackText]; neither should happen with
// a policy that is checked first.
var (
	// ErrNoProjects means the person may create in no project: they get the
	// policy's usual refusal instead of an empty form.
	ErrNoProjects = errors.New("form: no project to offer")
	// ErrTooManyProjects means more projects than one select can offer
	// ([MaxOptions]).
	ErrTooManyProjects = errors.New("form: more projects than a select can offer")
)

// Errors [ParseSubmission] returns when it refuses a submission as a whole
// (rather than a field of it). Each is wrapped with detail for the log; the
// person sees [RefusedResponse]'s text.
var (
	// ErrNotSubmission: the payload is not a view_submission.
	ErrNotSubmission = errors.New("form: not a view_submission")
	// ErrUnknownView: the callback_id is not [CallbackID]; a view we did not
	// open.
	ErrUnknownView = errors.New("form: not the create form")
	// ErrBadMetadata: private_metadata is missing, malformed or not ours.
	ErrBadMetadata = errors.New("form: bad private_metadata")
	// ErrExpired: the form was opened more than [MaxAge] ago.
	ErrExpired = errors.New("form: the form has expired")
	// ErrWrongUser: someone other than the person the form was opened for
	// submitted it.
	ErrWrongUser = errors.New("form: submitted by another user")
	// ErrBadState: the submitted state holds a block the form does not have.
	ErrBadState = errors.New("form: unexpected state")
)

// MaxOptions is the most options one select (or one option group) may hold.
const MaxOptions = 100
