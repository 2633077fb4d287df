package provision_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/internal/reply/slackrec"
)

// A Job invoked directly with a response_url that is not Slack's: the
// worker never posts there, and neither its error nor its log carries
// anything the foreign server said.
func TestForeignResponseURLIsNeverPosted(t *testing.T) {
	var hits atomic.Int32
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("instance-credentials-from-the-vpc"))
	}))
	t.Cleanup(foreign.Close)
	e := newEnv(t)
	// the bot is not in the channel: the answer would go to the response_url
	e.slack.Inject(slackrec.PostMessage, slackrec.Fault{Times: 9, Error: "not_in_channel"})
	res, err := e.handle(e.job(func(j *provision.Job) {
		j.Action, j.Slack.ResponseURL = provision.ActionList, foreign.URL+"/commands/T0001/1/x"
	}))
	if n := hits.Load(); n != 0 {
		t.Errorf("the foreign server got %d requests, want 0", n)
	}
	if res == nil || res.Route == reply.RouteResponseEphemeral || res.Route == reply.RouteResponseInChannel {
		t.Errorf("Handle() = %+v, want no response_url delivery", res)
	}
	if err != nil && strings.Contains(err.Error(), "instance-credentials") {
		t.Errorf("Handle() error quotes the foreign body: %v", err)
	}
	if strings.Contains(e.logs.String(), "instance-credentials") {
		t.Errorf("the log quotes the foreign body:\n%s", e.logs)
	}
}
