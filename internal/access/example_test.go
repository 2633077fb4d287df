package access_test

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/streambot/streambot/internal/access"
)

func ExamplePolicy_Authorize() {
	p, err := access.Load([]byte(`
projects:
  dev: 6a1b2c3d4e5f6a7b8c9d0e1f
  prod: 5f1a2b3c4d5e6f7a8b9c0d1e
default_project: dev
grants:
  - subjects: [user:U012ABCDEF]
    projects: [dev]
    role: GROUP_STREAM_PROCESSING_OWNER
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	p = p.WithLogger(slog.New(slog.DiscardHandler)) // audit events go nowhere here
	ctx := context.Background()

	d := p.Authorize(ctx, access.Request{UserID: "U012ABCDEF", ChannelID: "C1AB", Action: access.ActionCreate})
	fmt.Println(d.Allowed, d.GroupID, d.Role)

	d = p.Authorize(ctx, access.Request{UserID: "U012ABCDEF", ChannelID: "C1AB", Action: access.ActionCreate, Project: "prod"})
	fmt.Println(d.Allowed, d.Reason)
	// Output:
	// true 6a1b2c3d4e5f6a7b8c9d0e1f GROUP_STREAM_PROCESSING_OWNER
	// false create on project prod needs one of GROUP_OWNER, GROUP_DATA_ACCESS_ADMIN, GROUP_STREAM_PROCESSING_OWNER, and no grant gives you one; ask a policy admin
}

func ExampleLoad() {
	_, err := access.Load([]byte(`
projects:
  dev: 6a1b2c3d4e5f6a7b8c9d0e1f
grants:
  - subjects: [U123]
    projects: [dev]
    role: GROUP_OWNER
`))
	fmt.Println(err)
	// Output:
	// invalid access policy: line 5: grants[0].subjects[0]: "U123" must be user:<ID> or group:<ID>
}
