package access

import "regexp"

// SubjectKind is what a [Subject] names.
type SubjectKind string

// The kinds of subject, as the policy spells them before the colon.
const (
	SubjectUser    SubjectKind = "user"    // a Slack user, U… or W…
	SubjectGroup   SubjectKind = "group"   // a Slack user group, S…
	SubjectChannel SubjectKind = "channel" // a Slack channel, C… or G… (admin_contact only)
)

// Subject is a Slack user, user group or channel that the policy names:
// an approver, or the admin_contact. Its ID was checked at load time
// (capital letters and digits only), so its [Subject.Mention] is safe to
// put into Slack mrkdwn as is.
type Subject struct {
	Kind SubjectKind
	ID   string
}

// String returns the subject in the policy's notation, "user:U0LEAD".
func (s Subject) String() string {
	if s.ID == "" {
		return ""
	}
	return string(s.Kind) + ":" + s.ID
}

// Mention returns the subject as Slack mrkdwn: <@U…> for a user,
// <!subteam^S…> for a user group, <#C…> for a channel, which Slack shows
// as the person's, group's or channel's current name. It returns "" for
// the zero Subject.
func (s Subject) Mention() string {
	switch s.Kind {
	case SubjectUser:
		return "<@" + s.ID + ">"
	case SubjectGroup:
		return "<!subteam^" + s.ID + ">"
	case SubjectChannel:
		return "<#" + s.ID + ">"
	}
	return ""
}

// subjectRef finds subjects in a decision's plain-text reason, for
// [Decision.Mrkdwn]. Reasons name subjects only in this notation, and
// nothing else in a reason can match: the only caller-typed text a reason
// holds is an alias-shaped project name (lower case, no colon).
var subjectRef = regexp.MustCompile(`\b(user|group|channel):([A-Z0-9]{3,})\b`)

// mentions rewrites every subject named in s as its Slack mention.
func mentions(s string) string {
	return subjectRef.ReplaceAllStringFunc(s, func(m string) string {
		sub := subjectRef.FindStringSubmatch(m)
		return Subject{Kind: SubjectKind(sub[1]), ID: sub[2]}.Mention()
	})
}
