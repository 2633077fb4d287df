// Package settings checks configuration values that both functions and the
// local tool read from the environment.
package settings

import (
	"errors"
	"net/url"
)

// CheckURL accepts an absolute http or https URL with a host and no query,
// fragment or user info (ATLAS_BASE_URL, SLACK_API_URL, AWS endpoints). Its
// errors never quote the value, which may hold a password, a token in the
// query or a webhook path pasted in by mistake.
func CheckURL(v string) error {
	u, err := url.Parse(v)
	switch {
	case err != nil:
		return errors.New("not a URL")
	case u.User != nil, u.RawQuery != "", u.Fragment != "":
		return errors.New("user info, query and fragment are not allowed")
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("want an absolute http or https URL")
	case u.Host == "":
		return errors.New("no host")
	}
	return nil
}
