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

func ExamplePolicy_CanApprove() {
	p, err := access.Load([]byte(`
projects:
  prod: 5f1a2b3c4d5e6f7a8b9c0d1e
admin_contact: channel:C0PLATFORM
grants:
  - subjects: [user:U0OWNER]
    projects: [prod]
    role: GROUP_OWNER
approvals:
  - projects: [prod]
    actions: [create, delete]
    approvers: [user:U0LEAD, group:S0SRE]
    expires: 30m
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	p = p.WithLogger(slog.New(slog.DiscardHandler))
	ctx := context.Background()

	// The owner may create in prod, but the create waits for an approver.
	d := p.Authorize(ctx, access.Request{UserID: "U0OWNER", Action: access.ActionCreate, Project: "prod"})
	ap, needed := p.ApprovalFor(d.GroupID, access.ActionCreate)
	fmt.Println(d.Allowed, needed, ap.Expires, ap.Approvers[0].Mention())

	// The lead may approve it; the owner may not approve their own.
	req := access.ApproveRequest{UserID: "U0LEAD", GroupID: d.GroupID, Action: access.ActionCreate, RequesterID: "U0OWNER"}
	fmt.Println(p.CanApprove(ctx, req).Allowed)
	req.UserID = "U0OWNER"
	fmt.Println(p.CanApprove(ctx, req).Mrkdwn())

	// A stranger's denial, as Slack mrkdwn.
	fmt.Println(p.Authorize(ctx, access.Request{UserID: "U0STRANGER", Action: access.ActionList, Project: "prod"}).Mrkdwn())
	// Output:
	// true true 30m0s <@U0LEAD>
	// true
	// you asked for this create, so someone else must approve it: <@U0LEAD> or members of <!subteam^S0SRE>
	// list on project prod needs a project role, and no grant gives you one; ask <#C0PLATFORM>
}
