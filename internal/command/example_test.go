package command_test

import (
	"fmt"

	"github.com/streambot/streambot/internal/command"
)

func ExampleParse() {
	c, err := command.Parse("create orders-ws --region us-east-1 --tier sp10")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Name, c.Workspace, c.Provider, c.Region, c.RegionInput, c.Tier)
	fmt.Println(c)

	_, err = command.Parse("list --projcet prod")
	fmt.Println(err)
	// Output:
	// create orders-ws AWS VIRGINIA_USA us-east-1 SP10
	// create orders-ws --region us-east-1 --tier SP10
	// unknown flag "--projcet" for list; did you mean --project?
	// usage: /stream list [--project ALIAS|GROUP_ID]
}

func ExampleCommand_RequireRegion() {
	c, _ := command.Parse("create orders-ws")
	if err := c.RequireRegion("westeurope"); err != nil { // the access policy's default
		fmt.Println(err)
		return
	}
	fmt.Println(c.Provider, c.Region)
	// Output: AZURE westeurope
}
