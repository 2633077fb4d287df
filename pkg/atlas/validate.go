package atlas

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Provider is a cloud provider that hosts stream workspaces.
type Provider string

// The providers that can host a stream workspace.
const (
	ProviderAWS   Provider = "AWS"
	ProviderAzure Provider = "AZURE"
	ProviderGCP   Provider = "GCP"
)

// Providers lists the providers in the order streambot shows them.
var Providers = []Provider{ProviderAWS, ProviderAzure, ProviderGCP}

// Tier is a stream processing tier, which sets memory and vCPU allowances.
type Tier string

// The tiers, smallest first.
const (
	TierSP2  Tier = "SP2"
	TierSP5  Tier = "SP5"
	TierSP10 Tier = "SP10"
	TierSP30 Tier = "SP30"
	TierSP50 Tier = "SP50"
)

// Tiers lists the tiers, smallest first; a tier's index is its rank.
var Tiers = []Tier{TierSP2, TierSP5, TierSP10, TierSP30, TierSP50}

// regions pairs each provider with the regions Atlas Stream Processing
// offers on it. The spec lists the three region enums but not which belongs
// to which provider; the pairing below follows their schema names
// (ApiStreamsAWSRegionView, ApiStreamsAzureRegionView, ApiStreamsGCPRegionView).
var regions = map[Provider][]string{
	ProviderAWS: {"SYDNEY_AUS", "MUMBAI_IND", "FRANKFURT_DEU", "DUBLIN_IRL", "LONDON_GBR",
		"VIRGINIA_USA", "OHIO_USA", "OREGON_USA", "SAOPAULO_BRA", "MONTREAL_CAN",
		"TOKYO_JPN", "SINGAPORE_SGP", "PARIS_FRA", "SEOUL_KOR"},
	ProviderAzure: {"eastus", "westus", "eastus2", "westeurope", "brazilsouth", "australiaeast"},
	ProviderGCP:   {"US_CENTRAL1", "EUROPE_WEST1", "US_EAST4"},
}

// Regions returns the regions offered on provider p, or nil for an unknown
// provider. The caller must not modify the result.
func Regions(p Provider) []string { return regions[p] }

// ProviderOf returns the provider that offers region, and false if no
// provider does. Region names are matched exactly, as Atlas does.
func ProviderOf(region string) (Provider, bool) {
	for _, p := range Providers {
		if slices.Contains(regions[p], region) {
			return p, true
		}
	}
	return "", false
}

// Rank returns the tier's position in [Tiers] (0 for SP2), or -1 for an
// unknown tier.
func (t Tier) Rank() int { return slices.Index(Tiers, t) }

// MaxNameLen is the longest workspace name streambot accepts.
const MaxNameLen = 64

var (
	groupIDPattern = regexp.MustCompile(`^([a-f0-9]{24})$`)
	namePattern    = regexp.MustCompile(`^[A-Za-z0-9-]+$`)
)

// ErrInvalid is wrapped by every validation error, so callers can tell bad
// input from transport or API failures with errors.Is.
var ErrInvalid = errors.New("invalid")

// ValidationError reports one invalid field before any request is sent.
type ValidationError struct {
	Field   string // the API field name, e.g. "groupId" or "streamConfig.tier"
	Value   string // the offending value, as given
	Message string // what is wrong, in words a user can act on
}

// Error implements error.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("invalid %s %q: %s", e.Field, e.Value, e.Message)
}

// Unwrap lets errors.Is(err, ErrInvalid) match.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// ValidateGroupID checks a project (group) ID against the API's pattern
// ^([a-f0-9]{24})$.
func ValidateGroupID(id string) error {
	if !groupIDPattern.MatchString(id) {
		return &ValidationError{Field: "groupId", Value: id, Message: "a project ID is 24 lowercase hexadecimal characters"}
	}
	return nil
}

// ValidateName checks a workspace name: 1 to [MaxNameLen] ASCII letters,
// digits and hyphens. Names are immutable once created, and they appear in
// URL paths.
func ValidateName(name string) error {
	switch {
	case name == "":
		return &ValidationError{Field: "name", Value: name, Message: "a workspace name is required"}
	case len(name) > MaxNameLen:
		return &ValidationError{Field: "name", Value: name, Message: fmt.Sprintf("a workspace name has at most %d characters", MaxNameLen)}
	case !namePattern.MatchString(name):
		return &ValidationError{Field: "name", Value: name, Message: "a workspace name uses only ASCII letters, digits and hyphens"}
	}
	return nil
}

// ValidateRegion checks that provider p offers region.
func ValidateRegion(p Provider, region string) error {
	rs, ok := regions[p]
	if !ok {
		return &ValidationError{Field: "dataProcessRegion.cloudProvider", Value: string(p),
			Message: "the provider is one of " + joinStrings(Providers)}
	}
	if !slices.Contains(rs, region) {
		msg := "the region on " + string(p) + " is one of " + strings.Join(rs, ", ")
		if other, ok := ProviderOf(region); ok {
			msg = fmt.Sprintf("%s is offered on %s, not on %s", region, other, p)
		}
		return &ValidationError{Field: "dataProcessRegion.region", Value: region, Message: msg}
	}
	return nil
}

// ValidateTiers checks tier and, when given, maxTier: both must be known
// tiers and maxTier must not be below tier. An empty maxTier is allowed.
func ValidateTiers(tier, maxTier Tier) error {
	if tier.Rank() < 0 {
		return &ValidationError{Field: "streamConfig.tier", Value: string(tier), Message: "the tier is one of " + joinStrings(Tiers)}
	}
	if maxTier == "" {
		return nil
	}
	if maxTier.Rank() < 0 {
		return &ValidationError{Field: "streamConfig.maxTierSize", Value: string(maxTier), Message: "the max tier is one of " + joinStrings(Tiers)}
	}
	if maxTier.Rank() < tier.Rank() {
		return &ValidationError{Field: "streamConfig.maxTierSize", Value: string(maxTier),
			Message: fmt.Sprintf("the max tier must not be below the tier %s", tier)}
	}
	return nil
}

// ValidateCreate checks everything a create request needs, in the order a
// user would fix it, and returns every problem joined. It is what
// [Client.CreateStreamWorkspace] runs before sending anything, exported so
// the Slack side gives the same answer before dispatching.
func ValidateCreate(groupID string, w *StreamWorkspace) error {
	if w == nil {
		return &ValidationError{Field: "body", Message: "a workspace is required"}
	}
	var errs []error
	if err := ValidateGroupID(groupID); err != nil {
		errs = append(errs, err)
	}
	if err := ValidateName(w.Name); err != nil {
		errs = append(errs, err)
	}
	if w.DataProcessRegion == nil {
		errs = append(errs, &ValidationError{Field: "dataProcessRegion", Message: "a provider and region are required"})
	} else if err := ValidateRegion(w.DataProcessRegion.CloudProvider, w.DataProcessRegion.Region); err != nil {
		errs = append(errs, err)
	}
	if w.StreamConfig == nil {
		errs = append(errs, &ValidationError{Field: "streamConfig", Message: "a tier is required"})
	} else if err := ValidateTiers(w.StreamConfig.Tier, w.StreamConfig.MaxTierSize); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func joinStrings[S ~string](xs []S) string {
	var b strings.Builder
	for i, x := range xs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(x))
	}
	return b.String()
}
