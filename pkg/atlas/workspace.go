package atlas

// StreamWorkspace is an Atlas Stream Processing workspace (the API's
// StreamsTenant). The JSON tags follow the Admin API v2 wire format exactly,
// so the examples on MongoDB's reference page round-trip through this type.
//
// Fields that Atlas sets (ID, GroupID, Hostnames, Connections, Links) are
// read-only: they are omitted from create requests when empty.
//
// See https://www.mongodb.com/docs/api/doc/atlas-admin-api-v2/operation/operation-creategroupstreamworkspace
type StreamWorkspace struct {
	ID                string             `json:"_id,omitempty"`
	GroupID           string             `json:"groupId,omitempty"`
	Name              string             `json:"name"`
	DataProcessRegion *DataProcessRegion `json:"dataProcessRegion,omitempty"`
	StreamConfig      *StreamConfig      `json:"streamConfig,omitempty"`
	SampleConnections *SampleConnections `json:"sampleConnections,omitempty"`
	Hostnames         []string           `json:"hostnames,omitempty"`
	Connections       []Connection       `json:"connections,omitempty"`
	Links             []Link             `json:"links,omitempty"`
}

// DataProcessRegion is where Atlas runs the workspace's stream processors
// (the API's StreamsDataProcessRegion).
type DataProcessRegion struct {
	CloudProvider Provider `json:"cloudProvider"`
	Region        string   `json:"region"`
	Links         []Link   `json:"links,omitempty"`
}

// StreamConfig holds the workspace's tier (the API's StreamConfig). Atlas
// documents Tier as optional; this client always sends it.
type StreamConfig struct {
	Tier        Tier   `json:"tier,omitempty"`
	MaxTierSize Tier   `json:"maxTierSize,omitempty"`
	Links       []Link `json:"links,omitempty"`
}

// SampleConnections asks Atlas to add sample connections to the workspace
// (the API's StreamsSampleConnections).
type SampleConnections struct {
	Solar *bool  `json:"solar,omitempty"`
	Links []Link `json:"links,omitempty"`
}

// Connection is a connection configured in a workspace, as far as streambot
// reads it: its name and type. Atlas sends many more type-specific fields.
type Connection struct {
	Name  string `json:"name,omitempty"`
	Type  string `json:"type,omitempty"`
	Links []Link `json:"links,omitempty"`
}

// Link is an RFC 5988 link as Atlas returns them.
type Link struct {
	Href string `json:"href,omitempty"`
	Rel  string `json:"rel,omitempty"`
}

// Ptr returns a pointer to v, for optional fields such as
// [SampleConnections.Solar].
func Ptr[T any](v T) *T { return &v }
