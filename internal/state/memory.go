package state

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"
)

// Memory is a [Store] in one process's memory: for `streambot serve`,
// `make run` and tests. It keeps every operation until the process ends
// (TTL is recorded, not enforced). It is no substitute for [Dynamo] in
// Lambda, where every container would have its own.
type Memory struct {
	mu        sync.Mutex
	ops       map[string]*Operation
	now       func() time.Time
	retention time.Duration
}

// Option configures a [Memory] or a [Dynamo].
type Option func(*options)

type options struct {
	now       func() time.Time
	retention time.Duration
}

// WithClock sets the store's clock (default time.Now): the time of
// CreatedAt, UpdatedAt and of every expiry and lease comparison.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithRetention sets how long items are kept (default [DefaultRetention]).
func WithRetention(d time.Duration) Option { return func(o *options) { o.retention = d } }

func buildOptions(opts []Option) options {
	o := options{now: time.Now, retention: DefaultRetention}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// NewMemory returns an empty in-memory store.
func NewMemory(opts ...Option) *Memory {
	o := buildOptions(opts)
	return &Memory{ops: map[string]*Operation{}, now: o.now, retention: o.retention}
}

func (m *Memory) clock() time.Time { return norm(m.now()) }

// clone returns a copy of op that shares no memory with it.
func clone(op *Operation) *Operation {
	c := *op
	c.Request = slices.Clone(op.Request)
	return &c
}

// Begin implements [Store.Begin].
func (m *Memory) Begin(ctx context.Context, op Operation) (*Operation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock()
	if err := validateNew(&op, now); err != nil {
		return nil, err
	}
	if cur, ok := m.ops[op.ID]; ok {
		return nil, &ConflictError{ID: op.ID, Step: "begin", Refusal: RefusedExists, Current: clone(cur)}
	}
	op = prepareNew(op, now, m.retention)
	m.ops[op.ID] = clone(&op)
	return &op, nil
}

// Get implements [Store.Get].
func (m *Memory) Get(ctx context.Context, id string) (*Operation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.ops[id]
	if !ok {
		return nil, notFound("get", id)
	}
	return clone(cur), nil
}

// SetParent implements [Store.SetParent].
func (m *Memory) SetParent(ctx context.Context, id, channel, ts string) (*Operation, error) {
	if err := validateParent(id, channel, ts); err != nil {
		return nil, err
	}
	return m.update(ctx, "set parent", id, func(cur *Operation, now time.Time) Refusal {
		if cur.ParentTS != "" {
			return RefusedParentSet
		}
		cur.ParentChannel, cur.ParentTS, cur.UpdatedAt = channel, ts, now
		return refusedNone
	})
}

// Transition implements [Store.Transition].
func (m *Memory) Transition(ctx context.Context, id string, t Transition) (*Operation, error) {
	if err := t.validate(); err != nil {
		return nil, err
	}
	return m.update(ctx, stepName(&t), id, func(cur *Operation, now time.Time) Refusal {
		if r := t.check(cur, now); r != refusedNone {
			return r
		}
		t.apply(cur, now)
		return refusedNone
	})
}

// update runs change on operation id under the lock: the equivalent of
// one conditional write. change returns why it refused, having changed
// nothing, or refusedNone.
func (m *Memory) update(ctx context.Context, step, id string, change func(cur *Operation, now time.Time) Refusal) (*Operation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.ops[id]
	if !ok {
		return nil, notFound(step, id)
	}
	if r := change(cur, m.clock()); r != refusedNone {
		return nil, &ConflictError{ID: id, Step: step, Refusal: r, Current: clone(cur)}
	}
	return clone(cur), nil
}

// History implements [Store.History].
func (m *Memory) History(ctx context.Context, groupID, workspace string, limit int) ([]Operation, error) {
	if groupID == "" {
		return nil, errNoProject
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Operation
	for _, op := range m.ops {
		if op.GroupID == groupID && (workspace == "" || op.Workspace == workspace) {
			out = append(out, *clone(op))
		}
	}
	slices.SortFunc(out, func(a, b Operation) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	return out[:min(len(out), clampLimit(limit))], nil
}

// ExpiredApprovals implements [Store.ExpiredApprovals].
func (m *Memory) ExpiredApprovals(ctx context.Context, limit int) ([]Operation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock()
	var out []Operation
	for _, op := range m.ops {
		// As the index: an operation without an expiry is not in it.
		if op.ExpiryToShow(now) && !op.ExpiresAt.IsZero() {
			out = append(out, *clone(op))
		}
	}
	slices.SortFunc(out, func(a, b Operation) int {
		return cmp.Or(a.ExpiresAt.Compare(b.ExpiresAt), cmp.Compare(a.ID, b.ID))
	})
	return out[:min(len(out), clampExpired(limit))], nil
}

var _ Store = (*Memory)(nil)
