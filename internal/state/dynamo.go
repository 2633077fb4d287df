package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/streambot/streambot/internal/awsreq"
)

// The table's schema, as infra/template.yaml declares it (the tests create
// their tables from the template, so the two cannot drift apart):
//
//   - key: KeyAttribute (S), the operation's ID;
//   - index IndexProject: group_id (S) + created_at (S), for a project's
//     history;
//   - index IndexWorkspace: workspace_key (S, "GROUPID/WORKSPACE", absent
//     when the operation has no workspace) + created_at, for a workspace's
//     history;
//   - index IndexPendingApprovals: PendingAttribute (S, the constant
//     "approval", present only while the operation is pending_approval,
//     or expired and not yet announced) + expires_at (S), for the sweep of
//     lapsed approvals. Sparse: Begin writes the attribute for a pending
//     approval, [Expire] keeps it, every other transition removes it (the
//     expiry's [Announce] included) and [Unapprove] (back into
//     pending_approval) writes it again, so the index holds the requests
//     whose lapse may still need showing only, and "which ones have
//     lapsed" is a Query on one key, never a Scan. One constant hash
//     key puts them all in one partition: they are a few dozen at most
//     (each lapses within 24 hours), far below a partition's limits;
//   - TTLAttribute (N, epoch seconds): DynamoDB's time to live.
//
// Times are strings in a fixed-width UTC form (2026-12-07T00:28:58.123456789Z)
// so that they sort as text and read well in the aws CLI.
const (
	KeyAttribute   = "id"
	IndexProject   = "by_project"
	IndexWorkspace = "by_workspace"
	TTLAttribute   = "ttl"

	IndexPendingApprovals = "pending_approvals" // the waiting approvals, by expiry: the sweep's
	PendingAttribute      = "pending"           // its sparse hash key, "approval" while pending_approval (and expired, until announced)
)

// pendingValue is PendingAttribute's one value: the index's hash key.
const pendingValue = "approval"

// The item's attributes, one per [Operation] field.
const (
	attrID            = KeyAttribute
	attrKind          = "kind"
	attrRequester     = "requester"
	attrTeamID        = "team_id"
	attrChannelID     = "channel_id"
	attrGroupID       = "group_id"
	attrProjectAlias  = "project_alias"
	attrWorkspace     = "workspace"
	attrProcessor     = "processor"
	attrWorkspaceKey  = "workspace_key"
	attrStatus        = "status"
	attrParentChannel = "parent_channel"
	attrParentTS      = "parent_ts"
	attrOutcome       = "outcome"
	attrDecidedBy     = "decided_by"
	attrDecidedAt     = "decided_at"
	attrOwner         = "owner"
	attrLeaseUntil    = "lease_until"
	attrAttempts      = "attempts"
	attrRequest       = "request"
	attrCreatedAt     = "created_at"
	attrUpdatedAt     = "updated_at"
	attrExpiresAt     = "expires_at"
	attrTTL           = TTLAttribute
	attrPending       = PendingAttribute
)

const timeLayout = "2006-01-02T15:04:05.000000000Z"

// Dynamo is the [Store] of the Lambda functions: one DynamoDB table, every
// once-only step a conditional write (PutItem for [Dynamo.Begin],
// UpdateItem for the others, each returning the item on a failed condition
// so that a conflict costs no second request), reads consistent. Its IAM
// needs: dynamodb:PutItem (Begin), GetItem (Get), UpdateItem (SetParent,
// Transition) on the table, Query on its indexes (History on the two
// history indexes, ExpiredApprovals on IndexPendingApprovals).
type Dynamo struct {
	client    *DynamoClient
	table     string
	now       func() time.Time
	retention time.Duration
}

// NewDynamo returns a store on the table named table. It sends no request:
// a missing table shows as an [*UnavailableError] on first use.
func NewDynamo(client *DynamoClient, table string, opts ...Option) *Dynamo {
	o := buildOptions(opts)
	return &Dynamo{client: client, table: table, now: o.now, retention: o.retention}
}

// Table returns the table's name.
func (d *Dynamo) Table() string { return d.table }

func (d *Dynamo) clock() time.Time { return norm(d.now()) }

// Begin implements [Store.Begin] with PutItem if attribute_not_exists(id).
func (d *Dynamo) Begin(ctx context.Context, op Operation) (*Operation, error) {
	now := d.clock()
	if err := validateNew(&op, now); err != nil {
		return nil, err
	}
	op = prepareNew(op, now, d.retention)
	err := d.client.call(ctx, opPutItem, &request{
		TableName:                           d.table,
		Item:                                marshal(&op),
		ConditionExpression:                 "attribute_not_exists(#id)",
		ExpressionAttributeNames:            map[string]string{"#id": attrID},
		ReturnValuesOnConditionCheckFailure: "ALL_OLD",
	}, &response{})
	if err != nil {
		if item, ok := conditionFailed(err); ok {
			cur, uerr := unmarshal(item)
			if uerr != nil {
				return nil, fmt.Errorf("state: begin %q: %w", op.ID, uerr)
			}
			return nil, &ConflictError{ID: op.ID, Step: "begin", Refusal: RefusedExists, Current: cur}
		}
		return nil, d.fail("begin", op.ID, err)
	}
	return &op, nil
}

// Get implements [Store.Get] with a consistent GetItem.
func (d *Dynamo) Get(ctx context.Context, id string) (*Operation, error) {
	var out response
	err := d.client.call(ctx, opGetItem, &request{TableName: d.table, Key: key(id), ConsistentRead: true}, &out)
	if err != nil {
		return nil, d.fail("get", id, err)
	}
	if len(out.Item) == 0 {
		return nil, notFound("get", id)
	}
	op, err := unmarshal(out.Item)
	if err != nil {
		return nil, fmt.Errorf("state: get %q: %w", id, err)
	}
	return op, nil
}

// SetParent implements [Store.SetParent] with UpdateItem if
// attribute_not_exists(parent_ts).
func (d *Dynamo) SetParent(ctx context.Context, id, channel, ts string) (*Operation, error) {
	if err := validateParent(id, channel, ts); err != nil {
		return nil, err
	}
	var x expr
	update := fmt.Sprintf("SET %s = %s, %s = %s, %s = %s",
		x.name(attrParentChannel), x.value(str(channel)),
		x.name(attrParentTS), x.value(str(ts)),
		x.name(attrUpdatedAt), x.value(timeValue(d.clock())))
	cond := fmt.Sprintf("attribute_exists(%s) AND attribute_not_exists(%s)", x.name(attrID), x.name(attrParentTS))
	return d.update(ctx, "set parent", id, update, cond, &x, func(cur *Operation) Refusal {
		if cur.ParentTS != "" {
			return RefusedParentSet
		}
		return RefusedChanged
	})
}

// Transition implements [Store.Transition] with one conditional UpdateItem;
// its condition expression is [Transition]'s conditions (see check in
// transition.go) in DynamoDB's language.
func (d *Dynamo) Transition(ctx context.Context, id string, t Transition) (*Operation, error) {
	if err := t.validate(); err != nil {
		return nil, err
	}
	now := d.clock()
	var x expr
	nowV := x.value(timeValue(now))

	// The update: what apply in transition.go does.
	sets := []string{
		x.name(attrStatus) + " = " + x.value(str(string(t.To))),
		x.name(attrUpdatedAt) + " = " + nowV,
	}
	if t.records() {
		sets = append(sets,
			x.name(attrDecidedBy)+" = "+x.value(str(t.Actor)),
			x.name(attrDecidedAt)+" = "+nowV)
	}
	if t.To == StatusRunning {
		sets = append(sets,
			x.name(attrOwner)+" = "+x.value(str(t.Owner)),
			x.name(attrLeaseUntil)+" = "+x.value(timeValue(norm(t.LeaseUntil))),
			fmt.Sprintf("%s = if_not_exists(%s, %s) + %s", x.name(attrAttempts), x.name(attrAttempts),
				x.value(num(0)), x.value(num(1))))
	}
	if t.Outcome != "" {
		sets = append(sets, x.name(attrOutcome)+" = "+x.value(str(t.Outcome)))
	}
	if t.IfUnowned {
		sets = append(sets, x.name(attrOwner)+" = "+x.value(str(t.Owner)))
	}
	// The pending-approvals index holds an operation while it is
	// pending_approval, and once expired until its expiry is announced
	// (Operation.ExpiryToShow): a transition into pending_approval
	// (Unapprove) puts it back, Expire keeps it, every other one (the
	// expiry's Announce included) takes it out (removing an absent
	// attribute is no error).
	update := "SET "
	switch {
	case t.To == StatusPendingApproval:
		sets = append(sets, x.name(attrPending)+" = "+x.value(str(pendingValue)))
		update += strings.Join(sets, ", ")
	case t.To == StatusExpired && !t.IfUnowned: // Expire, not its Announce
		update += strings.Join(sets, ", ")
	default:
		update += strings.Join(sets, ", ") + " REMOVE " + x.name(attrPending)
	}

	// The condition: what check in transition.go decides.
	from := make([]string, len(t.From))
	for i, s := range t.From {
		from[i] = x.value(str(string(s)))
	}
	status := fmt.Sprintf("%s IN (%s)", x.name(attrStatus), strings.Join(from, ", "))
	if t.TakeOver {
		status = fmt.Sprintf("(%s OR (%s = %s AND (attribute_not_exists(%s) OR %s <= %s)))",
			status, x.name(attrStatus), x.value(str(string(StatusRunning))),
			x.name(attrLeaseUntil), x.name(attrLeaseUntil), nowV)
	}
	conds := []string{"attribute_exists(" + x.name(attrID) + ")", status}
	switch t.Expiry {
	case BeforeExpiry:
		conds = append(conds, x.name(attrExpiresAt)+" > "+nowV)
	case AfterExpiry:
		conds = append(conds, fmt.Sprintf("(attribute_not_exists(%s) OR %s <= %s)",
			x.name(attrExpiresAt), x.name(attrExpiresAt), nowV))
	}
	switch t.Rule {
	case NotRequester:
		conds = append(conds, x.name(attrRequester)+" <> "+x.value(str(t.Actor)))
	case OnlyRequester:
		conds = append(conds, x.name(attrRequester)+" = "+x.value(str(t.Actor)))
	}
	if t.IfOwner != "" {
		conds = append(conds, x.name(attrOwner)+" = "+x.value(str(t.IfOwner)))
	}
	if t.IfUnowned { // an empty owner is not stored
		conds = append(conds, "attribute_not_exists("+x.name(attrOwner)+")")
	}

	return d.update(ctx, stepName(&t), id, update, strings.Join(conds, " AND "), &x,
		func(cur *Operation) Refusal {
			if r := t.check(cur, now); r != refusedNone {
				return r
			}
			return RefusedChanged
		})
}

// update runs one conditional UpdateItem; on a failed condition refusal
// explains the item DynamoDB returned.
func (d *Dynamo) update(ctx context.Context, step, id, update, cond string, x *expr, refusal func(*Operation) Refusal) (*Operation, error) {
	var out response
	err := d.client.call(ctx, opUpdateItem, &request{
		TableName:                           d.table,
		Key:                                 key(id),
		UpdateExpression:                    update,
		ConditionExpression:                 cond,
		ExpressionAttributeNames:            x.names,
		ExpressionAttributeValues:           x.values,
		ReturnValues:                        "ALL_NEW",
		ReturnValuesOnConditionCheckFailure: "ALL_OLD",
	}, &out)
	if err != nil {
		item, ok := conditionFailed(err)
		if !ok {
			return nil, d.fail(step, id, err)
		}
		if len(item) == 0 {
			return nil, notFound(step, id)
		}
		cur, uerr := unmarshal(item)
		if uerr != nil {
			return nil, fmt.Errorf("state: %s %q: %w", step, id, uerr)
		}
		return nil, &ConflictError{ID: id, Step: step, Refusal: refusal(cur), Current: cur}
	}
	op, err := unmarshal(out.Attributes)
	if err != nil {
		return nil, fmt.Errorf("state: %s %q: %w", step, id, err)
	}
	return op, nil
}

// History implements [Store.History] with a Query on [IndexProject] or
// [IndexWorkspace], newest first.
func (d *Dynamo) History(ctx context.Context, groupID, workspace string, limit int) ([]Operation, error) {
	if groupID == "" {
		return nil, errNoProject
	}
	index, a, k := IndexProject, attrGroupID, groupID
	if workspace != "" {
		index, a, k = IndexWorkspace, attrWorkspaceKey, workspaceKey(groupID, workspace)
	}
	var out response
	forward := false
	err := d.client.call(ctx, opQuery, &request{
		TableName:                 d.table,
		IndexName:                 index,
		KeyConditionExpression:    "#k = :k",
		ExpressionAttributeNames:  map[string]string{"#k": a},
		ExpressionAttributeValues: map[string]attr{":k": str(k)},
		ScanIndexForward:          &forward,
		Limit:                     clampLimit(limit),
	}, &out)
	if err != nil {
		return nil, d.fail("history", k, err)
	}
	ops := make([]Operation, 0, len(out.Items))
	for _, item := range out.Items {
		op, err := unmarshal(item)
		if err != nil {
			return nil, fmt.Errorf("state: history %q: %w", k, err)
		}
		ops = append(ops, *op)
	}
	return ops, nil
}

// ExpiredApprovals implements [Store.ExpiredApprovals] with a Query on
// [IndexPendingApprovals]: the constant key, expires_at up to now, oldest
// first.
func (d *Dynamo) ExpiredApprovals(ctx context.Context, limit int) ([]Operation, error) {
	now := d.clock()
	limit = clampExpired(limit)
	forward := true
	var (
		ops   []Operation
		start map[string]attr
	)
	// Pages of the index until limit operations to show: an item the
	// index still holds for an operation that no longer needs it (the
	// index lags the table; an item changed by a version before the
	// index, or by hand) is passed over, not counted, and a few pages
	// bound the call.
	for page := 0; page < maxExpiredPages && len(ops) < limit; page++ {
		var x expr
		var out response
		err := d.client.call(ctx, opQuery, &request{
			TableName: d.table,
			IndexName: IndexPendingApprovals,
			KeyConditionExpression: fmt.Sprintf("%s = %s AND %s <= %s",
				x.name(attrPending), x.value(str(pendingValue)), x.name(attrExpiresAt), x.value(timeValue(now))),
			ExpressionAttributeNames:  x.names,
			ExpressionAttributeValues: x.values,
			ScanIndexForward:          &forward,
			Limit:                     limit,
			ExclusiveStartKey:         start,
		}, &out)
		if err != nil {
			return nil, d.fail("expired approvals", IndexPendingApprovals, err)
		}
		for _, item := range out.Items {
			// An item that does not read as an operation (edited by hand)
			// is passed over: it must not stop every sweep.
			op, err := unmarshal(item)
			if err == nil && op.ExpiryToShow(now) && len(ops) < limit {
				ops = append(ops, *op)
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		start = out.LastEvaluatedKey
	}
	return ops, nil
}

// maxExpiredPages bounds the index pages one ExpiredApprovals call reads.
const maxExpiredPages = 5

// conditionFailed reports whether err is a ConditionalCheckFailedException,
// and returns the item it carries (the request asked for
// ReturnValuesOnConditionCheckFailure ALL_OLD; none when there was none).
func conditionFailed(err error) (item map[string]attr, ok bool) {
	var de *DynamoError
	if !errors.As(err, &de) || de.Code != "ConditionalCheckFailedException" {
		return nil, false
	}
	var b struct {
		Item map[string]attr `json:"Item"`
	}
	_ = json.Unmarshal(de.Body, &b) // no item, as none was sent, if unreadable
	return b.Item, true
}

// fail classifies a client error: an [*UnavailableError] when the table
// cannot be used at all, otherwise the error with context.
func (d *Dynamo) fail(step, id string, err error) error {
	var (
		de   *DynamoError
		send *awsreq.SendError
	)
	reason := ""
	switch {
	case errors.As(err, &de) && de.Code == "ResourceNotFoundException":
		reason = ReasonMissing
	case errors.As(err, &de) && (de.Code == "ProvisionedThroughputExceededException" ||
		de.Code == "RequestLimitExceeded" || strings.Contains(de.Code, "Throttl")):
		reason = ReasonThrottled
	case errors.As(err, &send), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		reason = ReasonUnreachable
	default:
		return fmt.Errorf("state: %s %q: %w", step, id, err)
	}
	return &UnavailableError{Table: d.table, Reason: reason, Err: fmt.Errorf("%s %q: %w", step, id, err)}
}

var _ Store = (*Dynamo)(nil)

// expr collects the names and values of one request's expressions, so that
// every placeholder is declared exactly once and none is left unused
// (DynamoDB refuses unused ones).
type expr struct {
	names  map[string]string
	values map[string]attr
}

// name returns the placeholder of attribute a ("#a").
func (x *expr) name(a string) string {
	if x.names == nil {
		x.names = map[string]string{}
	}
	x.names["#"+a] = a
	return "#" + a
}

// value returns a new placeholder for v (":v0", ":v1", ...).
func (x *expr) value(v attr) string {
	if x.values == nil {
		x.values = map[string]attr{}
	}
	p := ":v" + strconv.Itoa(len(x.values))
	x.values[p] = v
	return p
}

func key(id string) map[string]attr {
	return map[string]attr{attrID: str(id)}
}

func str(s string) attr { return attr{S: &s} }

func num(n int64) attr {
	s := strconv.FormatInt(n, 10)
	return attr{N: &s}
}

func timeValue(t time.Time) attr { return str(t.UTC().Format(timeLayout)) }

// marshal returns op as an item, leaving out empty attributes (index keys
// must not be empty strings, and a sparse item reads better).
func marshal(op *Operation) map[string]attr {
	item := map[string]attr{}
	for a, v := range map[string]string{
		attrID: op.ID, attrKind: op.Kind, attrRequester: op.Requester, attrTeamID: op.TeamID,
		attrChannelID: op.ChannelID, attrGroupID: op.GroupID, attrProjectAlias: op.ProjectAlias,
		attrWorkspace: op.Workspace, attrProcessor: op.Processor,
		attrWorkspaceKey: workspaceKey(op.GroupID, op.Workspace), attrStatus: string(op.Status),
		attrParentChannel: op.ParentChannel, attrParentTS: op.ParentTS, attrOutcome: op.Outcome,
		attrDecidedBy: op.DecidedBy, attrOwner: op.Owner,
	} {
		if v != "" {
			item[a] = str(v)
		}
	}
	for a, t := range map[string]time.Time{
		attrDecidedAt: op.DecidedAt, attrLeaseUntil: op.LeaseUntil, attrCreatedAt: op.CreatedAt,
		attrUpdatedAt: op.UpdatedAt, attrExpiresAt: op.ExpiresAt,
	} {
		if !t.IsZero() {
			item[a] = timeValue(t)
		}
	}
	if op.Attempts != 0 {
		item[attrAttempts] = num(int64(op.Attempts))
	}
	if len(op.Request) > 0 {
		item[attrRequest] = attr{B: op.Request}
	}
	if !op.TTL.IsZero() {
		item[attrTTL] = num(op.TTL.Unix())
	}
	if op.Status == StatusPendingApproval {
		item[attrPending] = str(pendingValue) // the pending-approvals index's key
	}
	return item
}

// unmarshal reads an item written by marshal (and updated by Transition
// and SetParent).
func unmarshal(item map[string]attr) (*Operation, error) {
	op := &Operation{}
	var errs []error
	strs := map[string]*string{
		attrID: &op.ID, attrKind: &op.Kind, attrRequester: &op.Requester, attrTeamID: &op.TeamID,
		attrChannelID: &op.ChannelID, attrGroupID: &op.GroupID, attrProjectAlias: &op.ProjectAlias,
		attrWorkspace: &op.Workspace, attrProcessor: &op.Processor, attrParentChannel: &op.ParentChannel,
		attrParentTS: &op.ParentTS, attrOutcome: &op.Outcome, attrDecidedBy: &op.DecidedBy, attrOwner: &op.Owner,
	}
	times := map[string]*time.Time{
		attrDecidedAt: &op.DecidedAt, attrLeaseUntil: &op.LeaseUntil, attrCreatedAt: &op.CreatedAt,
		attrUpdatedAt: &op.UpdatedAt, attrExpiresAt: &op.ExpiresAt,
	}
	for a, v := range item {
		switch {
		case strs[a] != nil:
			if v.S == nil {
				errs = append(errs, fmt.Errorf("attribute %s: want a string", a))
				continue
			}
			*strs[a] = *v.S
		case times[a] != nil:
			var err error
			if v.S != nil {
				*times[a], err = time.Parse(timeLayout, *v.S)
			}
			if v.S == nil || err != nil {
				errs = append(errs, fmt.Errorf("attribute %s: want a time like %s", a, timeLayout))
			}
		case a == attrStatus:
			if v.S == nil || !Status(*v.S).Valid() {
				errs = append(errs, fmt.Errorf("attribute %s: want a status", a))
				continue
			}
			op.Status = Status(*v.S)
		case a == attrAttempts || a == attrTTL:
			var i int64
			var err error
			if v.N != nil {
				i, err = strconv.ParseInt(*v.N, 10, 64)
			}
			if v.N == nil || err != nil {
				errs = append(errs, fmt.Errorf("attribute %s: want an integer", a))
				continue
			}
			if a == attrAttempts {
				op.Attempts = int(i)
			} else {
				op.TTL = time.Unix(i, 0).UTC()
			}
		case a == attrRequest:
			if v.B == nil {
				errs = append(errs, fmt.Errorf("attribute %s: want binary", a))
				continue
			}
			op.Request = v.B
		}
		// Other attributes (workspace_key, pending, or ones a later version adds)
		// are derived or unknown: ignored.
	}
	if op.ID == "" {
		errs = append(errs, errors.New("item has no id"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("malformed item: %w", err)
	}
	return op, nil
}
