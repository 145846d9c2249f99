package lualib

import (
	"context"
	"encoding/json"

	lua "github.com/yuin/gopher-lua"
	luar "layeh.com/gopher-luar"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/luabridge"
)

// pushRaw pushes the JSON answer of get, or the failure.
func (c *clientHandle) pushRaw(L *luar.LState, get func(context.Context, ...dial.CallOption) (json.RawMessage, error)) int {
	return c.pushCall(L, func() (json.RawMessage, error) { return get(luabridge.Context(L.LState)) })
}

// byDeployment adapts a call about one deployment to pushRaw, with the id of argument 1.
func byDeployment(L *luar.LState, get func(context.Context, string, ...dial.CallOption) (json.RawMessage, error)) func(context.Context, ...dial.CallOption) (json.RawMessage, error) {
	id := L.CheckString(1)
	return func(ctx context.Context, opts ...dial.CallOption) (json.RawMessage, error) {
		return get(ctx, id, opts...)
	}
}

// Limits is client:limits(deployment): the caller's rate limits and use of the deployment,
// {minuteTokenStats = {total, used}, dayTokenStats = {total, used, resetsAt}, …}.
func (c *clientHandle) Limits(L *luar.LState) int {
	return c.pushRaw(L, byDeployment(L, c.c.DeploymentLimits))
}

// Usage is client:usage(deployment): the deployment's entry of client:user_limits().
func (c *clientHandle) Usage(L *luar.LState) int {
	return c.pushRaw(L, byDeployment(L, c.c.DeploymentUsage))
}

// UserLimits is client:user_limits(): {deployments = {[id] = stats}, minuteCostStats = …}
// for every model the caller may use.
func (c *clientHandle) UserLimits(L *luar.LState) int { return c.pushRaw(L, c.c.UserLimits) }

// UserUsage is client:user_usage(): client:user_limits() with only the models the caller used.
func (c *clientHandle) UserUsage(L *luar.LState) int { return c.pushRaw(L, c.c.UserUsage) }

// AppdataHome is client:appdata_home(): the files folder of the calling application's data,
// "files/<bucket>/appdata/<app>/", or nil when the credentials are not an application's.
func (c *clientHandle) AppdataHome(L *luar.LState) int {
	defer c.m.enter(L.LState)()
	home, err := c.c.MyAppDataHome(luabridge.Context(L.LState))
	if err != nil {
		return c.m.fail(L.LState, err)
	}
	if home == "" {
		L.Push(lua.LNil)
	} else {
		L.Push(lua.LString(home))
	}
	return 1
}
