package atlas

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// StreamWorkspaceUpdate is the body of an update (the API's
// StreamsTenantUpdateRequest, as far as streambot writes it). Empty fields
// are left out of the request and keep the workspace's value. A region
// change names both the provider and the region, as the API's flat
// cloudProvider and region fields do.
type StreamWorkspaceUpdate struct {
	CloudProvider Provider      `json:"cloudProvider,omitempty"`
	Region        string        `json:"region,omitempty"`
	StreamConfig  *StreamConfig `json:"streamConfig,omitempty"`
}

// Empty reports whether u changes nothing.
func (u *StreamWorkspaceUpdate) Empty() bool {
	return u == nil || (u.CloudProvider == "" && u.Region == "" &&
		(u.StreamConfig == nil || (u.StreamConfig.Tier == "" && u.StreamConfig.MaxTierSize == "")))
}

// ValidateUpdate checks an update of workspace name in project groupID and
// returns every problem joined: the path parameters, a provider and region
// given together and paired, known tiers, and a max tier not below the tier
// when both are given. An update that changes nothing is invalid: Atlas
// would be asked for a no-op. (The max tier against the workspace's current
// tier is the caller's check, which knows the workspace.)
func ValidateUpdate(groupID, name string, u *StreamWorkspaceUpdate) error {
	errs := []error{ValidateGroupID(groupID), ValidateName(name)}
	switch {
	case u.Empty():
		errs = append(errs, &ValidationError{Field: "body", Message: "an update changes the tier, the max tier or the region"})
	default:
		if u.CloudProvider != "" || u.Region != "" {
			if u.CloudProvider == "" || u.Region == "" {
				errs = append(errs, &ValidationError{Field: "region", Value: u.Region,
					Message: "a region change names both the provider and the region"})
			} else {
				errs = append(errs, ValidateRegion(u.CloudProvider, u.Region))
			}
		}
		if sc := u.StreamConfig; sc != nil {
			switch {
			case sc.Tier != "":
				errs = append(errs, ValidateTiers(sc.Tier, sc.MaxTierSize))
			case sc.MaxTierSize.Rank() < 0:
				errs = append(errs, &ValidationError{Field: "streamConfig.maxTierSize", Value: string(sc.MaxTierSize),
					Message: "the max tier is one of " + joinStrings(Tiers)})
			}
		}
	}
	return errors.Join(errs...)
}

// updateBody is what an update request carries: only the fields set.
func updateBody(u *StreamWorkspaceUpdate) *StreamWorkspaceUpdate {
	b := &StreamWorkspaceUpdate{CloudProvider: u.CloudProvider, Region: u.Region}
	if sc := u.StreamConfig; sc != nil && (sc.Tier != "" || sc.MaxTierSize != "") {
		b.StreamConfig = &StreamConfig{Tier: sc.Tier, MaxTierSize: sc.MaxTierSize}
	}
	return b
}

// PreviewUpdate returns exactly what [Client.UpdateStreamWorkspace] would
// send, without sending anything: the method, the absolute path and the
// JSON body, produced by the same encoding. It validates first, like the
// update call.
func PreviewUpdate(groupID, name string, u *StreamWorkspaceUpdate) (method, path string, body []byte, err error) {
	if err := ValidateUpdate(groupID, name, u); err != nil {
		return "", "", nil, err
	}
	body, err = encodeJSON(updateBody(u))
	if err != nil {
		return "", "", nil, fmt.Errorf("atlas: encode update body: %w", err)
	}
	return http.MethodPatch, "/" + apiPath + streamPath(groupID, name), body, nil
}

// PreviewDelete returns exactly what [Client.DeleteStreamWorkspace] would
// send (a DELETE without a body), after the same validation.
func PreviewDelete(groupID, name string) (method, path string, err error) {
	if err := validateGroupAndName(groupID, name); err != nil {
		return "", "", err
	}
	return http.MethodDelete, "/" + apiPath + streamPath(groupID, name), nil
}

// UpdateStreamWorkspace changes the tier, the max tier or the region of the
// stream workspace called name in project groupID and returns it as Atlas
// answers (200). The update is checked with [ValidateUpdate] first; nothing
// is sent if it fails. Only the fields set in u are sent (see
// [PreviewUpdate]). Only a 429, which Atlas sends before doing anything, is
// repeated.
//
// Atlas reference: https://www.mongodb.com/docs/api/doc/atlas-admin-api-v2/operation/operation-updategroupstreamworkspace
func (c *Client) UpdateStreamWorkspace(ctx context.Context, groupID, name string, u *StreamWorkspaceUpdate, opts ...CallOption) (*StreamWorkspace, error) {
	if err := ValidateUpdate(groupID, name, u); err != nil {
		return nil, err
	}
	return send[StreamWorkspace](ctx, c, http.MethodPatch, withQuery(streamPath(groupID, name), nil, opts), updateBody(u))
}
