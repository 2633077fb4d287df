// Package docs_test checks the README and docs/*.md against the code they
// describe: the README stays short and links every guide, every relative
// link and anchor resolves, every `make` target and `streambot` subcommand
// named exists, and every template parameter named in an example exists.
package docs_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// guides are the files the README must link.
var guides = []string{"deploying.md", "configuration.md", "policy.md", "commands.md", "troubleshooting.md", "architecture.md"}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// files returns README.md and every docs/*.md, by path from the repository root.
func files(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{"README.md": read(t, "../README.md")}
	ms, _ := filepath.Glob("*.md")
	for _, m := range ms {
		out["docs/"+m] = read(t, m)
	}
	return out
}

func TestReadmeIsShortAndLinksTheGuides(t *testing.T) {
	readme := read(t, "../README.md")
	if n := strings.Count(readme, "\n"); n > 250 {
		t.Errorf("README.md has %d lines, want at most 250: move details to docs/", n)
	}
	for _, g := range guides {
		if !strings.Contains(readme, "](docs/"+g) {
			t.Errorf("README.md does not link docs/%s", g)
		}
	}
	for _, want := range []string{"make run", "make test"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md does not show %q", want)
		}
	}
}

var (
	linkRE    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	headingRE = regexp.MustCompile("(?m)^#{1,6} (.+)$")
	fenceRE   = regexp.MustCompile("(?ms)^```.*?^```")
	makeRE    = regexp.MustCompile("(?m)(?:`|^\\s*(?:\\$ )?)make ([a-z][a-z0-9-]*)") // in code: `make x`, or a code block line
	targetRE  = regexp.MustCompile(`(?m)^([a-z][a-z0-9-]*):`)
	subRE     = regexp.MustCompile("(?:go run \\./cmd/streambot|`streambot) ([a-z]+)\\b")
	caseRE    = regexp.MustCompile(`case "([a-z]+)"`)
	paramRE   = regexp.MustCompile(`\b([A-Z][A-Za-z]+)=(?:arn|…|0)`)
)

// slug is GitHub's anchor for a heading.
func slug(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func anchors(text string) map[string]bool {
	out := map[string]bool{}
	for _, m := range headingRE.FindAllStringSubmatch(fenceRE.ReplaceAllString(text, ""), -1) {
		out[slug(m[1])] = true
	}
	return out
}

func TestLinksResolve(t *testing.T) {
	fs := files(t)
	for name, text := range fs {
		for _, m := range linkRE.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, anchor, _ := strings.Cut(target, "#")
			path := name
			if file != "" {
				path = filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(name), file)))
				if _, err := os.Stat(filepath.Join("..", path)); err != nil {
					t.Errorf("%s links %s: no such file", name, target)
					continue
				}
			}
			if anchor == "" || !strings.HasSuffix(path, ".md") {
				continue
			}
			body, ok := fs[path]
			if !ok {
				body = read(t, filepath.Join("..", path))
			}
			if !anchors(body)[anchor] {
				t.Errorf("%s links %s: %s has no heading #%s", name, target, path, anchor)
			}
		}
	}
}

func TestNamedCommandsExist(t *testing.T) {
	targets := map[string]bool{}
	for _, m := range targetRE.FindAllStringSubmatch(read(t, "../Makefile"), -1) {
		targets[m[1]] = true
	}
	subs := map[string]bool{}
	for _, m := range caseRE.FindAllStringSubmatch(read(t, "../cmd/streambot/main.go"), -1) {
		subs[m[1]] = true
	}
	params := read(t, "../infra/template.yaml")
	for name, text := range files(t) {
		for _, m := range makeRE.FindAllStringSubmatch(text, -1) {
			if !targets[m[1]] {
				t.Errorf("%s names `make %s`, which the Makefile lacks", name, m[1])
			}
		}
		for _, m := range subRE.FindAllStringSubmatch(text, -1) {
			if !subs[m[1]] {
				t.Errorf("%s names `streambot %s`, which is no subcommand", name, m[1])
			}
		}
		for _, m := range paramRE.FindAllStringSubmatch(text, -1) {
			if !strings.Contains(params, "\n  "+m[1]+":\n") {
				t.Errorf("%s passes the parameter %s, which infra/template.yaml lacks", name, m[1])
			}
		}
	}
}
