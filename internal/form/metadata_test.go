package form_test

import (
	"errors"
	"testing"
	"time"

	"github.com/streambot/streambot/internal/form"
)

func TestMetadataRoundTrip(t *testing.T) {
	for _, o := range []form.Origin{origin, shortcut, {Channel: "D0DM12345", User: "W0ENTERPRISE", Issued: opened}} {
		s := o.Metadata()
		got, err := form.ParseMetadata(s)
		if err != nil || got != o {
			t.Errorf("ParseMetadata(%q) = %+v, %v; want %+v", s, got, err, o)
		}
		if len(s) > 60 {
			t.Errorf("metadata %q is %d bytes; keep it small", s, len(s))
		}
	}
}

func TestMetadataKeepsSeconds(t *testing.T) {
	o := form.Origin{Channel: "C0123ABCD", User: "U012ABCDEF", Issued: opened.Add(999 * time.Millisecond)}
	v, err := form.BuildCreateView(form.CreateForm{Origin: o, Projects: []form.Project{dev}})
	if err != nil {
		t.Fatalf("BuildCreateView with a time.Now()-like time: %v", err)
	}
	if got, err := form.ParseMetadata(v.PrivateMetadata); err != nil || !got.Issued.Equal(opened) {
		t.Errorf("ParseMetadata(%q) = %+v, %v; want issued %v", v.PrivateMetadata, got, err, opened)
	}
}

func TestParseMetadataRefuses(t *testing.T) {
	for _, s := range []string{
		"",
		"v1|C0123ABCD|U012ABCDEF",
		"v1|C0123ABCD|U012ABCDEF|1796601600|extra",
		"v2|C0123ABCD|U012ABCDEF|1796601600",
		"V1|C0123ABCD|U012ABCDEF|1796601600",
		"v1||U012ABCDEF|1796601600",   // the shortcut writes "dm"
		"v1|Dm|U012ABCDEF|1796601600", // not "dm", not a channel ID either
		"v1|c0123abcd|U012ABCDEF|1796601600",
		"v1|X0123ABCD|U012ABCDEF|1796601600",
		"v1|C|U012ABCDEF|1796601600",
		"v1|C0123<!channel>|U012ABCDEF|1796601600",
		"v1|C0123ABCD|B012ABCDEF|1796601600", // a bot, not a user
		"v1|C0123ABCD||1796601600",
		"v1|C0123ABCD|U012ABCDEF|01796601600",
		"v1|C0123ABCD|U012ABCDEF|+1796601600",
		"v1|C0123ABCD|U012ABCDEF|1796601600.5",
		"v1|C0123ABCD|U012ABCDEF|0",
		"v1|C0123ABCD|U012ABCDEF|-1",
		"v1|C0123ABCD|U012ABCDEF|999999999999",
		"v1|C0123ABCD|U012ABCDEF|1796601600 ",
		" v1|C0123ABCD|U012ABCDEF|1796601600",
		"v1|C0123ABCDEFGHIJKLMNOPQRSTUVWXYZ|U012ABCDEF|1796601600",
		`{"channel":"C0123ABCD"}`,
	} {
		if o, err := form.ParseMetadata(s); !errors.Is(err, form.ErrBadMetadata) {
			t.Errorf("ParseMetadata(%q) = %+v, %v; want ErrBadMetadata", s, o, err)
		}
	}
}

func TestVerify(t *testing.T) {
	tests := []struct {
		user string
		now  time.Time
		want error
	}{
		{origin.User, opened, nil},
		{origin.User, opened.Add(-time.Minute), nil}, // a little clock skew
		{origin.User, opened.Add(form.MaxAge), nil},
		{origin.User, opened.Add(form.MaxAge + time.Second), form.ErrExpired},
		{origin.User, opened.Add(-time.Minute - time.Second), form.ErrBadMetadata},
		{"U0MALLORY", opened, form.ErrWrongUser},
		{"", opened, form.ErrWrongUser},
	}
	for _, tc := range tests {
		if err := origin.Verify(tc.user, tc.now); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("Verify(%q, %v) = %v, want %v", tc.user, tc.now, err, tc.want)
		}
	}
}
