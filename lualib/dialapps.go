package lualib

import (
	"context"
	"encoding/json"
	"time"

	lua "github.com/yuin/gopher-lua"
	luar "layeh.com/gopher-luar"

	"github.com/dialua/dialua/dial"
	"github.com/dialua/dialua/luabridge"
)

// applicationsHandle is client.applications: custom applications stored under
// /v1/applications and the deployment of their functions (/v1/ops/application/…). Called as
// a function, client:applications(), it lists the applications the client may use (GET
// /openai/applications), custom ones included.
type applicationsHandle struct {
	cl *clientHandle
}

// String is what tostring shows.
func (a *applicationsHandle) String() string { return "dial.applications" }

// list is client:applications(): the application deployments as an array of plain tables.
func (a *applicationsHandle) list(L *luar.LState) int {
	return a.cl.listing(L, a.cl.c.ListApplications)
}

// ApplicationsHome is client:applications_home(): "applications/<bucket>/".
func (c *clientHandle) ApplicationsHome(L *luar.LState) int { return c.home(L, c.c.MyApplicationsHome) }

// Save is applications:save(url, app [, {if_match, if_none_match}]): stores the application
// (the snake_case table DIAL Core keeps: display_name, endpoint or function = {runtime,
// source_folder, mapping, env}, …) and returns its metadata.
func (a *applicationsHandle) Save(L *luar.LState) int {
	return saveTyped(a.cl.m, L, "application", a.cl.c.SaveCustomApplication)
}

// Get is applications:get(url [, {if_match, if_none_match}]): the application and its etag.
func (a *applicationsHandle) Get(L *luar.LState) int {
	return getTyped(a.cl.m, L, a.cl.c.GetCustomApplication)
}

// Delete is applications:delete(url [, {if_match}]): true on success.
func (a *applicationsHandle) Delete(L *luar.LState) int {
	m := a.cl.m
	defer m.enter(L.LState)()
	if err := a.cl.c.DeleteCustomApplication(luabridge.Context(L.LState), L.CheckString(1), conditions(optionsArg(L.LState, 2, "if_match", "headers"))...); err != nil {
		return m.fail(L.LState, err)
	}
	L.Push(lua.LTrue)
	return 1
}

// Metadata is applications:metadata(url [, {limit, token, recursive}]), as files:metadata.
func (a *applicationsHandle) Metadata(L *luar.LState) int {
	return a.cl.m.metadata(L, a.cl.c.CustomApplicationMetadata)
}

// List is applications:list(folder [, {recursive, limit}]), as files:list.
func (a *applicationsHandle) List(L *luar.LState) int {
	return a.cl.m.list(L, a.cl.c.CustomApplicationMetadata)
}

// Deploy is applications:deploy(url): starts deploying the application's function and
// returns the application, its function.status "DEPLOYING".
func (a *applicationsHandle) Deploy(L *luar.LState) int {
	return callPush(a.cl.m, L, a.cl.c.DeployApplication)
}

// Undeploy is applications:undeploy(url): starts undeploying the application's function and
// returns the application, its function.status "UNDEPLOYING".
func (a *applicationsHandle) Undeploy(L *luar.LState) int {
	return callPush(a.cl.m, L, a.cl.c.UndeployApplication)
}

// Logs is applications:logs(url): the deployed function's logs, an array of {instance,
// content}.
func (a *applicationsHandle) Logs(L *luar.LState) int {
	return callPush(a.cl.m, L, a.cl.c.ApplicationLogs)
}

// Wait is applications:wait(url [, {interval = seconds}]): reads the application every
// interval (5 seconds by default) until its function is no longer DEPLOYING or UNDEPLOYING,
// and returns it. The script's context bounds the wait.
func (a *applicationsHandle) Wait(L *luar.LState) int {
	m := a.cl.m
	defer m.enter(L.LState)()
	url := L.CheckString(1)
	var interval time.Duration
	if n, ok := optionsArg(L.LState, 2, "interval").number("interval"); ok {
		if n <= 0 {
			L.ArgError(2, "interval must be positive")
		}
		interval = time.Duration(n * float64(time.Second))
	}
	app, err := a.cl.c.WaitApplication(luabridge.Context(L.LState), url, interval)
	if err != nil {
		return m.fail(L.LState, err)
	}
	return m.pushValue(L.LState, app)
}

// callPush runs call on the URL argument and pushes its result as plain tables.
func callPush[T any](m *Dial, L *luar.LState, call func(context.Context, string, ...dial.CallOption) (T, error)) int {
	defer m.enter(L.LState)()
	v, err := call(luabridge.Context(L.LState), L.CheckString(1))
	if err != nil {
		return m.fail(L.LState, err)
	}
	return m.pushValue(L.LState, v)
}

// pushValue pushes v encoded as JSON and decoded as plain tables.
func (m *Dial) pushValue(L *lua.LState, v any) int {
	raw, err := json.Marshal(v)
	if err != nil {
		return m.fail(L, err)
	}
	return m.pushJSON(L, raw)
}

// saveTyped is the save call of a JSON resource: it decodes the table argument 2 into a T (a
// table that does not fit is an argument error naming what) and stores it at the URL argument
// 1 with the conditions of options argument 3. It pushes the metadata.
func saveTyped[T any](m *Dial, L *luar.LState, what string,
	save func(context.Context, string, T, ...dial.CallOption) (*dial.FileMetadata, error)) int {
	defer m.enter(L.LState)()
	url := L.CheckString(1)
	raw, err := luabridge.ToJSON(L.LState, L.CheckTable(2))
	if err != nil {
		L.ArgError(2, err.Error())
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		L.ArgError(2, what+" table expected: "+err.Error())
	}
	meta, err := save(luabridge.Context(L.LState), url, v, conditions(optionsArg(L.LState, 3, "if_match", "if_none_match", "headers"))...)
	if err != nil {
		return m.fail(L.LState, err)
	}
	return m.pushJSON(L.LState, meta.Raw)
}

// getTyped is the get call of a JSON resource: it reads the URL argument 1 with the
// conditions of options argument 2 and pushes the resource and its etag.
func getTyped[T any](m *Dial, L *luar.LState,
	get func(context.Context, string, ...dial.CallOption) (*T, string, error)) int {
	defer m.enter(L.LState)()
	v, etag, err := get(luabridge.Context(L.LState), L.CheckString(1), conditions(optionsArg(L.LState, 2, "if_match", "if_none_match", "headers"))...)
	if err != nil {
		return m.fail(L.LState, err)
	}
	if n := m.pushValue(L.LState, v); n != 1 {
		return n
	}
	L.Push(lua.LString(etag))
	return 2
}
