package dial

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Unlimited is the total DIAL reports for a limit that no role configures (Java's
// Long.MAX_VALUE). Treat any total at or above 2^53 as unlimited: it does not survive a
// float64.
const Unlimited int64 = 1<<63 - 1

// DeploymentLimits returns the caller's rate limits and usage of one deployment (GET
// /v1/deployments/{id}/limits) as received: {minuteTokenStats, dayTokenStats, weekTokenStats,
// monthTokenStats, hourRequestStats, dayRequestStats, minuteCostStats, dayCostStats,
// weekCostStats, monthCostStats}, each {total, used, resetsAt?}. The cost figures are the
// caller's global budget, not the deployment's share. A deployment without limits answers
// 404.
func (c *Client) DeploymentLimits(ctx context.Context, deployment string, opts ...CallOption) (json.RawMessage, error) {
	p, err := escapeID("deployment", deployment)
	if err != nil {
		return nil, err
	}
	return c.getRaw(ctx, http.MethodGet, "v1/deployments/"+p+"/limits", nil, opts)
}

// UserLimits returns the caller's limits and usage for every model it may use (GET
// /v1/user/limits) as received: {"deployments": {<id>: LimitStats}, minuteCostStats, …}, the
// top-level cost figures being the caller's global budget.
func (c *Client) UserLimits(ctx context.Context, opts ...CallOption) (json.RawMessage, error) {
	return c.getRaw(ctx, http.MethodGet, "v1/user/limits", nil, opts)
}

// UserUsage returns what [Client.UserLimits] does with the deployments the caller has not
// used dropped (GET /v1/user/usage).
func (c *Client) UserUsage(ctx context.Context, opts ...CallOption) (json.RawMessage, error) {
	return c.getRaw(ctx, http.MethodGet, "v1/user/usage", nil, opts)
}

// DeploymentUsage returns the caller's use of one deployment against its limits: its entry in
// [Client.UserLimits], whose cost figures are the deployment's own attributed spend (DIAL has
// no per-deployment usage endpoint). A deployment that is not listed there (an application, or
// one the caller may not use) matches [ErrNotFound].
func (c *Client) DeploymentUsage(ctx context.Context, deployment string, opts ...CallOption) (json.RawMessage, error) {
	raw, err := c.UserLimits(ctx, opts...)
	if err != nil {
		return nil, err
	}
	var all struct {
		Deployments map[string]json.RawMessage `json:"deployments"`
	}
	if err := json.Unmarshal(raw, &all); err != nil {
		return nil, parseError(http.MethodGet, c.base.Path+"v1/user/limits", err)
	}
	stats, ok := all.Deployments[deployment]
	if !ok {
		return nil, fmt.Errorf("dial: GET %sv1/user/limits: deployment %q is not listed: %w", c.base.Path, deployment, ErrNotFound)
	}
	return stats, nil
}
