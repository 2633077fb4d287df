package command

import (
	"strings"

	"github.com/streambot/streambot/pkg/atlas"
)

// Region is one region a caller may name: Atlas's name for it, the provider
// that offers it, and the cloud's own code where that differs from the
// Atlas name (empty for Azure, whose Atlas names are the cloud's codes).
type Region struct {
	Name     string // Atlas's spelling, e.g. "VIRGINIA_USA"
	Provider atlas.Provider
	Code     string // the cloud's code, e.g. "us-east-1"; empty when the same as Name
}

// cloudCodes maps the cloud's own region codes to Atlas's names. Azure is
// absent: Atlas uses Azure's codes as they are.
var cloudCodes = map[string]string{
	// AWS
	"us-east-1":      "VIRGINIA_USA",
	"us-east-2":      "OHIO_USA",
	"us-west-2":      "OREGON_USA",
	"ap-southeast-2": "SYDNEY_AUS",
	"ap-south-1":     "MUMBAI_IND",
	"eu-central-1":   "FRANKFURT_DEU",
	"eu-west-1":      "DUBLIN_IRL",
	"eu-west-2":      "LONDON_GBR",
	"sa-east-1":      "SAOPAULO_BRA",
	"ca-central-1":   "MONTREAL_CAN",
	"ap-northeast-1": "TOKYO_JPN",
	"ap-southeast-1": "SINGAPORE_SGP",
	"eu-west-3":      "PARIS_FRA",
	"ap-northeast-2": "SEOUL_KOR",
	// GCP
	"us-central1":  "US_CENTRAL1",
	"europe-west1": "EUROPE_WEST1",
	"us-east4":     "US_EAST4",
}

// regionTable lists every region in the order of [atlas.Providers] and
// [atlas.Regions], which is also the order help shows them in.
var regionTable = func() []Region {
	code := make(map[string]string, len(cloudCodes))
	for c, name := range cloudCodes {
		code[name] = c
	}
	var rs []Region
	for _, p := range atlas.Providers {
		for _, name := range atlas.Regions(p) {
			rs = append(rs, Region{Name: name, Provider: p, Code: code[name]})
		}
	}
	return rs
}()

// LookupRegion finds a region by its Atlas name or its cloud code, ignoring
// case: "virginia_usa", "us-east-1" and "VIRGINIA_USA" all find
// VIRGINIA_USA on AWS. It reports false for anything else.
func LookupRegion(s string) (Region, bool) {
	for _, r := range regionTable {
		if strings.EqualFold(s, r.Name) || (r.Code != "" && strings.EqualFold(s, r.Code)) {
			return r, true
		}
	}
	return Region{}, false
}

// regionWords lists every spelling LookupRegion accepts, for suggestions.
var regionWords = func() []string {
	var ws []string
	for _, r := range regionTable {
		ws = append(ws, r.Name)
		if r.Code != "" {
			ws = append(ws, r.Code)
		}
	}
	return ws
}()
