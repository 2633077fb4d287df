package atlas_test

import (
	"context"
	"fmt"
	"log"

	"github.com/streambot/streambot/pkg/atlas"
	"github.com/streambot/streambot/pkg/atlas/atlasspec"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

func ExampleClient_AllStreamProcessors() {
	// An in-memory Atlas with one workspace and two processors.
	const groupID = "6a1b2c3d4e5f6a7b8c9d0e1f"
	// atlasspec.Checker holds it to MongoDB's spec, answering 400 to a
	// request the spec rejects.
	sim := atlastest.NewServer(nil, atlastest.WithChecker(atlasspec.Checker{}))
	defer sim.Close()
	sim.AddProject(groupID)
	sim.AddServiceAccount("mdb_sa_id_example", "mdb_sa_sk_example")
	_ = sim.AddProcessor(groupID, "orders-ws", atlastest.Processor{Name: "solarDemo", State: atlas.ProcessorStarted})
	_ = sim.AddProcessor(groupID, "orders-ws", atlastest.Processor{Name: "dedupe"})

	c, err := atlas.NewClient(atlas.WithBaseURL(sim.URL), atlas.WithServiceAccount("mdb_sa_id_example", "mdb_sa_sk_example"))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.CreateStreamWorkspace(ctx, groupID, &atlas.StreamWorkspace{
		Name:              "orders-ws",
		DataProcessRegion: &atlas.DataProcessRegion{CloudProvider: atlas.ProviderAWS, Region: "VIRGINIA_USA"},
		StreamConfig:      &atlas.StreamConfig{Tier: atlas.TierSP10},
	}); err != nil {
		log.Fatal(err)
	}
	ps, err := c.AllStreamProcessors(ctx, groupID, "orders-ws")
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range ps {
		n, ok := p.Stats.InputMessageCount()
		fmt.Println(p.Name, p.State, p.Stages(), n > 0, ok)
	}
	// Starting a started processor: Atlas (here the simulator) refuses.
	err = c.StartStreamProcessor(ctx, groupID, "orders-ws", "solarDemo")
	fmt.Println(atlas.IsErrorCode(err, atlastest.CodeProcessorAlreadyStarted))
	// Output:
	// solarDemo STARTED [$source $match $merge] true true
	// dedupe CREATED [$source $match $merge] false true
	// true
}
