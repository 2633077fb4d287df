package atlasspec

import (
	"errors"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/streambot/streambot/pkg/atlas/atlasroute"
)

// FieldViolation is one problem [Spec.ValidateRequest] found, in the shape
// of an entry of Atlas's badRequestDetail.fields.
type FieldViolation = atlasroute.FieldViolation

// Violations turns an error from [Spec.ValidateRequest] into short field
// violations, or returns nil when err names no field (for example a body
// that is not JSON, or a missing Accept header).
func Violations(err error) []FieldViolation {
	if err == nil {
		return nil
	}
	var re *openapi3filter.RequestError
	var se *openapi3.SchemaError
	switch {
	case errors.As(err, &re) && re.Parameter != nil:
		desc := re.Reason
		if errors.As(err, &se) {
			desc = se.Reason
		} else if re.Err != nil {
			desc = firstLine(re.Err.Error())
		}
		return []FieldViolation{{Field: re.Parameter.Name, Description: desc}}
	case errors.As(err, &se):
		field := strings.Join(se.JSONPointer(), ".")
		if field == "" {
			field = "body"
		}
		return []FieldViolation{{Field: field, Description: se.Reason}}
	}
	return nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
