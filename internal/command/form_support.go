package command

import (
	"strings"
	"unicode"
)

// CheckName checks a workspace name typed into the create form (issue 13)
// exactly as [Parse] checks create's <name>: the same clean-up of what Slack
// clients do to typed text (smart punctuation, zero-width characters; see
// Parse), the same rules ([atlas.ValidateName]) and the same message and
// did-you-mean suggestion (orders_ws → orders-ws). Spaces around the name
// are dropped, as splitting drops them. It returns the name to use, or a
// *[UsageError] without a usage line (a form has its fields instead).
func CheckName(name string) (string, error) {
	name = strings.TrimFunc(normalize(name), unicode.IsSpace)
	if err := createCmd.positional(&Command{}, name, 0); err != nil {
		return "", err
	}
	return name, nil
}
