package slackbot

import (
	stdbase64 "encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/segmentio/asm/base64"
)

var (
	stdBase64 = stdbase64.StdEncoding
	asmBase64 = base64.StdEncoding
)

// BenchmarkQueryUnescape decodes the payload field of
// events/view-submission.json (the create form: 12 kB, a third of it
// escapes).
func BenchmarkQueryUnescape(b *testing.B) {
	body := sampleBody(b, "view-submission")
	_, field, _ := strings.Cut(body, "payload=")
	field, _, _ = strings.Cut(field, "&")
	b.SetBytes(int64(len(field)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := queryUnescape(field); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzBase64Body: the body's base64 decoder (segmentio/asm's, for speed)
// accepts what the standard library accepts and decodes it to the same
// bytes; what the standard library refuses is refused (API Gateway's
// bodies are well-formed; anything else must not slip through as a body).
func FuzzBase64Body(f *testing.F) {
	for _, s := range []string{"", "cGF5bG9hZD0lN0IlN0Q=", "!!not base64!!", "cGF5\nbG9h", "QUJD", "QUJ=", "QQ==QQ==",
		strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0MjQy", 9) + "QQ=="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, wantErr := stdBase64.DecodeString(s)
		got := make([]byte, asmBase64.DecodedLen(len(s)))
		n, err := asmBase64.Decode(got, bytesOf(s))
		if (err != nil) != (wantErr != nil) || (err == nil && string(got[:n]) != string(want)) {
			t.Fatalf("Decode(%q) = %q, %v; encoding/base64: %q, %v", s, got[:n], err, want, wantErr)
		}
	})
}

// BenchmarkBase64Body decodes the create form's view_submission body as
// API Gateway sends it (17 kB of base64) with the decoder the edge uses
// and with encoding/base64.
func BenchmarkBase64Body(b *testing.B) {
	src := stdBase64.EncodeToString([]byte(sampleBody(b, "view-submission")))
	for _, bc := range []struct {
		name   string
		decode func(dst, src []byte) (int, error)
	}{
		{"segmentio-asm", asmBase64.Decode},
		{"encoding-base64", stdBase64.Decode},
	} {
		b.Run(bc.name, func(b *testing.B) {
			dst := make([]byte, stdBase64.DecodedLen(len(src)))
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				if _, err := bc.decode(dst, bytesOf(src)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestBase64BodyMatchesStd compares the body's base64 decoder with
// encoding/base64 on 20,000 generated inputs, deterministic (seeded):
// valid encodings of random bytes of every length up to 300 (long enough
// for the vector code, which takes 32 bytes and more), and the same with
// one byte replaced by another of the alphabet, padding, a newline or a
// byte outside it. FuzzBase64Body explores further on amd64; this one
// also runs where the fuzzer cannot, e.g. an arm64 test binary under
// qemu-user (GOARCH=arm64 go test -c, then qemu-aarch64-static), which
// exercises the NEON code that Lambda's arm64 runs.
func TestBase64BodyMatchesStd(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 2026))
	const odd = "ABCXYZabcxyz0189+/=\n\r\x00-_ é"
	for i := range 20000 {
		raw := make([]byte, rng.IntN(301))
		for j := range raw {
			raw[j] = byte(rng.Uint32())
		}
		s := []byte(stdBase64.EncodeToString(raw))
		if i%2 == 1 && len(s) > 0 {
			s[rng.IntN(len(s))] = odd[rng.IntN(len(odd))]
		}
		want, wantErr := stdBase64.DecodeString(string(s))
		got := make([]byte, asmBase64.DecodedLen(len(s)))
		n, err := asmBase64.Decode(got, s)
		if (err != nil) != (wantErr != nil) || (err == nil && string(got[:n]) != string(want)) {
			t.Fatalf("input %d, %q: Decode = %q, %v; encoding/base64: %q, %v", i, s, got[:n], err, want, wantErr)
		}
	}
}
