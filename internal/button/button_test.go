package button

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/pkg/atlas"
)

var issued = time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)

func deleteValue() Value {
	return Value{Op: command.Delete, Step: StepConfirm, GroupID: "6a1b2c3d4e5f6a7b8c9d0e1f", Workspace: "orders-ws",
		Requester: "U2CERLKJA", OpID: "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c", IssuedAt: issued}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	update := deleteValue()
	update.Op, update.Tier, update.MaxTier, update.Provider, update.Region = command.Update, atlas.TierSP30, atlas.TierSP50, atlas.ProviderAWS, "OHIO_USA"
	list := Value{Op: command.Describe, Step: StepAsk, GroupID: "6a1b2c3d4e5f6a7b8c9d0e1f", Workspace: "a", Requester: "W1", OpID: "x", IssuedAt: issued}
	list.Requester = "W12"
	for _, v := range []Value{deleteValue(), update, list} {
		s, err := v.Encode()
		if err != nil {
			t.Fatalf("Encode(%+v): %v", v, err)
		}
		got, err := Parse(s, issued)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		if diff := cmp.Diff(v, got); diff != "" {
			t.Errorf("Parse(Encode(v)) mismatch (-want +got):\n%s", diff)
		}
	}
	s, _ := deleteValue().Encode()
	if want := "1;delete;confirm;6a1b2c3d4e5f6a7b8c9d0e1f;orders-ws;;U2CERLKJA;398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c;1796635800;;;;"; s != want {
		t.Errorf("Encode = %q, want %q", s, want)
	}
}

func TestParse_refuses(t *testing.T) {
	t.Parallel()
	good, _ := deleteValue().Encode()
	field := func(i int, v string) string {
		f := strings.Split(good, ";")
		f[i] = v
		return strings.Join(f, ";")
	}
	for _, tc := range []struct{ name, value string }{
		{"empty", ""},
		{"version 2", field(0, "2")},
		{"version 01", field(0, "01")},
		{"extra field", good + ";x"},
		{"missing field", strings.TrimSuffix(good, ";")},
		{"json", `{"op":"delete"}`},
		{"unknown op", field(1, "explode")},
		{"help", field(1, "help")},
		{"unknown step", field(2, "yolo")},
		{"confirm of an op without confirmation", field(1, "describe")},
		{"approve for list", strings.Replace(field(2, "approve"), "delete", "list", 1)},
		{"upper-case group", field(3, "6A1B2C3D4E5F6A7B8C9D0E1F")},
		{"short group", field(3, "6a1b")},
		{"bad workspace", field(4, "orders_ws")},
		{"slack escape workspace", field(4, "<!channel>")},
		{"processor for delete", field(5, "p1")},
		{"bad requester", field(6, "<@U1>")},
		{"lower requester", field(6, "u2cerlkja")},
		{"bad op id", field(7, "a b")},
		{"long op id", field(7, strings.Repeat("a", 65))},
		{"issued not a number", field(8, "soon")},
		{"issued with a plus", field(8, "+1765065000")},
		{"issued zero", field(8, "0")},
		{"issued in the future", field(8, "1796639400")}, // an hour after `issued`
		{"tier on a delete", field(9, "SP30")},
		{"too long", good + strings.Repeat(";", MaxValueLen)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Parse(tc.value, issued)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Parse(%q) = %+v, %v; want an error wrapping ErrInvalid", tc.value, v, err)
			}
		})
	}
}

func TestUpdateChange_refused(t *testing.T) {
	t.Parallel()
	v := deleteValue()
	v.Op = command.Update
	for _, tc := range []struct {
		name string
		edit func(*Value)
	}{
		{"max below tier", func(v *Value) { v.Tier, v.MaxTier = atlas.TierSP30, atlas.TierSP10 }},
		{"unknown tier", func(v *Value) { v.Tier = "SP7" }},
		{"region of another provider", func(v *Value) { v.Provider, v.Region = atlas.ProviderGCP, "OHIO_USA" }},
		{"region without provider", func(v *Value) { v.Region = "OHIO_USA" }},
	} {
		w := v
		tc.edit(&w)
		if _, err := w.Encode(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Encode = %v, want ErrInvalid", tc.name, err)
		}
		if _, err := Parse(w.encode(), issued); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Parse = %v, want ErrInvalid", tc.name, err)
		}
	}
}

func TestExpiredAndIDs(t *testing.T) {
	t.Parallel()
	v := deleteValue()
	if v.Expired(issued.Add(command.ConfirmFor)) || !v.Expired(issued.Add(command.ConfirmFor+time.Second)) {
		t.Errorf("Expired: want valid for exactly %v", command.ConfirmFor)
	}
	if got, want := v.ActionID(), "streambot.confirm.delete"; got != want || !Ours(got) {
		t.Errorf("ActionID = %q, want %q", got, want)
	}
	if err := v.CheckBlock(v.BlockID(3)); err != nil {
		t.Errorf("CheckBlock(own block) = %v", err)
	}
	other := v
	other.GroupID = "5f1a2b3c4d5e6f7a8b9c0d1e"
	if err := v.CheckBlock(other.BlockID(0)); !errors.Is(err, ErrInvalid) {
		t.Errorf("CheckBlock(another project's block) = %v, want ErrInvalid", err)
	}
	if err := v.CheckBlock(v.BlockID(0) + "x"); !errors.Is(err, ErrInvalid) {
		t.Errorf("CheckBlock(suffixed block) = %v, want ErrInvalid", err)
	}
	if n := len(v.BlockID(65535)); n > 255 {
		t.Errorf("BlockID is %d characters, more than Slack's 255", n)
	}
}

// FuzzParse: Parse never panics, and whatever it accepts encodes back to
// the same text and parses to the same value.
func FuzzParse(f *testing.F) {
	good, _ := deleteValue().Encode()
	f.Add(good)
	f.Add("1;update;confirm;6a1b2c3d4e5f6a7b8c9d0e1f;orders-ws;;U2CERLKJA;x;1765065000;SP30;SP50;AWS;OHIO_USA")
	f.Add("1;list;ask;6a1b2c3d4e5f6a7b8c9d0e1f;;;U2CERLKJA;x;1765065000;;;;")
	f.Add("2;;;;;;;;;;;;")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s, issued)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q) error %v does not wrap ErrInvalid", s, err)
			}
			return
		}
		again, err := v.Encode()
		if err != nil || again != s {
			t.Fatalf("Encode(Parse(%q)) = %q, %v; want the same text", s, again, err)
		}
		if len(v.BlockID(65535)) > 255 {
			t.Fatalf("BlockID of %q is longer than Slack allows", s)
		}
	})
}
