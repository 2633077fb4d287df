package atlas_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"

	"github.com/streambot/streambot/pkg/atlas"
	"github.com/streambot/streambot/pkg/atlas/atlasspec"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

func ExampleNewClient() {
	// In production: credentials from Secrets Manager, origin and version
	// from ATLAS_BASE_URL and ATLAS_API_VERSION.
	c, err := atlas.NewClient(
		atlas.WithServiceAccount("mdb_sa_id_example", "mdb_sa_sk_example"),
		atlas.WithAPIVersion("2023-02-01"),
		atlas.WithUserAgent("streambot/1.0"),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.BaseURL())

	// Exactly one way to authenticate.
	_, err = atlas.NewClient()
	fmt.Println(err)
	// Output:
	// https://cloud.mongodb.com/api/atlas/v2/
	// atlas: no credentials: use WithServiceAccount or WithAPIKey
}

func ExampleClient_CreateStreamWorkspace() {
	// An in-memory Atlas stands in for https://cloud.mongodb.com.
	const groupID = "6a1b2c3d4e5f6a7b8c9d0e1f"
	// atlasspec.Checker holds it to MongoDB's spec, answering 400 to a
	// request the spec rejects.
	sim := atlastest.NewServer(nil, atlastest.WithChecker(atlasspec.Checker{}))
	defer sim.Close()
	sim.AddProject(groupID)
	sim.AddServiceAccount("mdb_sa_id_example", "mdb_sa_sk_example")

	c, err := atlas.NewClient(
		atlas.WithBaseURL(sim.URL),
		atlas.WithServiceAccount("mdb_sa_id_example", "mdb_sa_sk_example"),
	)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	ws, err := c.CreateStreamWorkspace(ctx, groupID, &atlas.StreamWorkspace{
		Name:              "orders-ws",
		DataProcessRegion: &atlas.DataProcessRegion{CloudProvider: atlas.ProviderAWS, Region: "VIRGINIA_USA"},
		StreamConfig:      &atlas.StreamConfig{Tier: atlas.TierSP30},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ws.Name, ws.StreamConfig.Tier, len(ws.Hostnames) == 1 && strings.HasPrefix(ws.Hostnames[0], "atlas-stream-"))

	// The same name again: Atlas refuses, and the error says why.
	_, err = c.CreateStreamWorkspace(ctx, groupID, &atlas.StreamWorkspace{
		Name:              "orders-ws",
		DataProcessRegion: &atlas.DataProcessRegion{CloudProvider: atlas.ProviderAWS, Region: "VIRGINIA_USA"},
		StreamConfig:      &atlas.StreamConfig{Tier: atlas.TierSP30},
	})
	var ae *atlas.APIError
	if errors.As(err, &ae) {
		fmt.Println(ae.StatusCode, ae.ErrorCode)
	}

	// Invalid input never leaves the process.
	_, err = c.CreateStreamWorkspace(ctx, groupID, &atlas.StreamWorkspace{
		Name:              "orders-ws",
		DataProcessRegion: &atlas.DataProcessRegion{CloudProvider: atlas.ProviderAWS, Region: "eastus"},
		StreamConfig:      &atlas.StreamConfig{Tier: atlas.TierSP30},
	})
	fmt.Println(errors.Is(err, atlas.ErrInvalid), err)
	// Output:
	// orders-ws SP30 true
	// 409 STREAM_TENANT_NAME_ALREADY_EXISTS
	// true invalid dataProcessRegion.region "eastus": eastus is offered on AZURE, not on AWS
}

func ExamplePreviewCreate() {
	method, path, body, err := atlas.PreviewCreate("6a1b2c3d4e5f6a7b8c9d0e1f", &atlas.StreamWorkspace{
		Name:              "orders-ws",
		DataProcessRegion: &atlas.DataProcessRegion{CloudProvider: atlas.ProviderAWS, Region: "VIRGINIA_USA"},
		StreamConfig:      &atlas.StreamConfig{Tier: atlas.TierSP30, MaxTierSize: atlas.TierSP50},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(method, path)
	fmt.Println(string(body))
	// Output:
	// POST /api/atlas/v2/groups/6a1b2c3d4e5f6a7b8c9d0e1f/streams
	// {"name":"orders-ws","dataProcessRegion":{"cloudProvider":"AWS","region":"VIRGINIA_USA"},"streamConfig":{"tier":"SP30","maxTierSize":"SP50"}}
}

func ExampleIsErrorCode() {
	err := fmt.Errorf("create stream workspace %q: %w", "orders-ws",
		&atlas.APIError{StatusCode: 404, ErrorCode: "GROUP_NOT_FOUND", Method: "POST", Path: "groups/6a1b2c3d4e5f6a7b8c9d0e1f/streams"})
	fmt.Println(atlas.IsErrorCode(err, "GROUP_NOT_FOUND"), atlas.IsStatus(err, 404), errors.Is(err, atlas.ErrNotFound))
	// Output: true true true
}
