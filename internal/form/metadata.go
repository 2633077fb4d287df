package form

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Origin is where a form was opened from and for whom. It travels in the
// view's private_metadata, which Slack returns with the submission, as four
// fields separated by "|":
//
//	v1|C0123ABCD|U012ABCDEF|1765065600   opened by /stream create in channel C0123ABCD
//	v1|dm|U012ABCDEF|1765065600          opened by the global shortcut (no channel)
//
// that is the format version, the channel the thread goes to ("dm" when
// there is none: the thread goes to the channel picked in the form, or by
// default to a direct message to the person), the Slack user the form was
// opened for, and when it was opened (Unix seconds). Nothing else is needed:
// the command's response_url is not kept (it is a credential, and the worker
// posts to the channel), and the choices themselves come back in the view's
// state.
//
// The metadata arrives inside a Slack-signed request, so it is data we
// wrote; it is still parsed strictly, like a button value: one canonical
// spelling, checked IDs, and an age limit ([Origin.Verify]).
type Origin struct {
	// Channel is the channel /stream create was typed in; empty when the
	// form was opened from the global shortcut.
	Channel string
	// User is the Slack user ID the form was opened for; only they may
	// submit it.
	User string
	// Issued is when the form was opened; the metadata keeps whole seconds,
	// so time.Now() will do.
	Issued time.Time
}

// MaxAge is how long after opening a form may be submitted. A form left open
// longer is refused with [ErrExpired] and the person opens a fresh one; the
// projects it offers may be out of date by then.
const MaxAge = time.Hour

// maxSkew is how far in the future Issued may be (clocks of two Lambda
// containers disagree a little).
const maxSkew = time.Minute

const (
	metadataVersion = "v1"
	// noChannel stands for an empty Channel: the default is a direct message.
	noChannel = "dm"
	// maxMetadataLen bounds what ParseMetadata reads; a valid record is
	// under 60 bytes.
	maxMetadataLen = 80
)

// Metadata renders o as private_metadata. o must be valid (BuildCreateView
// checks it first).
func (o Origin) Metadata() string {
	ch := o.Channel
	if ch == "" {
		ch = noChannel
	}
	return metadataVersion + "|" + ch + "|" + o.User + "|" + strconv.FormatInt(o.Issued.Unix(), 10)
}

// ParseMetadata reads private_metadata written by [Origin.Metadata]. Only
// the canonical spelling is accepted; anything else, including an empty
// string, is an error wrapping [ErrBadMetadata].
func ParseMetadata(s string) (Origin, error) {
	if s == "" {
		return Origin{}, fmt.Errorf("%w: missing", ErrBadMetadata)
	}
	if len(s) > maxMetadataLen {
		return Origin{}, fmt.Errorf("%w: %d bytes", ErrBadMetadata, len(s))
	}
	if n := strings.Count(s, "|") + 1; n != 4 {
		return Origin{}, fmt.Errorf("%w: %d fields, want 4", ErrBadMetadata, n)
	}
	var f [4]string // strings.Split's, without its allocation (read twice per submission)
	f[0], s, _ = strings.Cut(s, "|")
	f[1], s, _ = strings.Cut(s, "|")
	f[2], f[3], _ = strings.Cut(s, "|")
	if f[0] != metadataVersion {
		return Origin{}, fmt.Errorf("%w: version %q", ErrBadMetadata, f[0])
	}
	o := Origin{User: f[2]}
	if f[1] != noChannel {
		if f[1] == "" {
			return Origin{}, fmt.Errorf("%w: empty channel", ErrBadMetadata)
		}
		o.Channel = f[1]
	}
	if !canonicalSeconds(f[3]) {
		return Origin{}, fmt.Errorf("%w: issued %q", ErrBadMetadata, f[3])
	}
	secs, _ := strconv.ParseInt(f[3], 10, 64) // canonicalSeconds bounds it
	o.Issued = time.Unix(secs, 0).UTC()
	if err := o.validate(); err != nil {
		return Origin{}, err
	}
	return o, nil
}

// validate checks o's fields: a channel ID (C, G or D…) or none, a user ID
// (U or W…), a time after 1970 (kept in whole seconds).
func (o Origin) validate() error {
	switch {
	case o.Channel != "" && !slackID(o.Channel, "CGD"):
		return fmt.Errorf("%w: channel %q", ErrBadMetadata, o.Channel)
	case !slackID(o.User, "UW"):
		return fmt.Errorf("%w: user %q", ErrBadMetadata, o.User)
	case o.Issued.Unix() <= 0:
		return fmt.Errorf("%w: issued %v", ErrBadMetadata, o.Issued)
	}
	return nil
}

// Verify checks that the form may be submitted now by user: the person it
// was opened for ([ErrWrongUser] otherwise), within [MaxAge] of opening
// ([ErrExpired]), and not opened in the future ([ErrBadMetadata]).
func (o Origin) Verify(user string, now time.Time) error {
	switch {
	case user != o.User:
		return fmt.Errorf("%w: opened for %s, submitted by %q", ErrWrongUser, o.User, user)
	case o.Issued.After(now.Add(maxSkew)):
		return fmt.Errorf("%w: issued %v, after now (%v)", ErrBadMetadata, o.Issued, now.UTC())
	case now.Sub(o.Issued) > MaxAge:
		return fmt.Errorf("%w: opened %v, now %v", ErrExpired, o.Issued, now.UTC())
	}
	return nil
}

// slackID reports whether s looks like a Slack ID whose first letter is one
// of prefixes: that letter and 1 to 20 uppercase letters or digits.
func slackID(s, prefixes string) bool {
	if len(s) < 2 || len(s) > 21 || !strings.ContainsRune(prefixes, rune(s[0])) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// canonicalSeconds reports whether s is a positive decimal of at most 11
// digits without a leading zero or sign: the only way Metadata writes one.
func canonicalSeconds(s string) bool {
	if len(s) == 0 || len(s) > 11 || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
