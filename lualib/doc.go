// Package lualib holds the Lua modules of dialua that bind a service: the dial module. Values
// cross between Lua and Go through package luabridge, which also gives a module's Go functions
// the context of the running script and a way back onto the script's goroutine.
//
// Each module is a struct holding its Go dependencies, with a Loader method that the host
// registers with L.PreloadModule from its one list of modules (package runtime takes them in
// its Config; the command wires them); scripts load modules with require. Nothing here
// registers itself, sets globals or knows the host.
//
// # dial
//
// The dial module binds package dial; README.md has the full reference. Failures return
// nil, msg:string, err:table (kind, message, status, type, code, param, display_message,
// retryable, retry_after, during_stream); misuse raises.
//
//	local dial = require("dial")
//	dial.default() -> client
//	dial.client(opts:table) -> client
//	dial.pool([opts:table]) -> pool;  pool:client(opts) -> client;  pool:close() -> true
//	dial.path.join(base:string, name:string...) -> url:string
//	dial.template(text:string [, vars:table]) -> string
//	dial.check(name:string, ok [, detail:string]) -> boolean   (in a dialua batch record only)
//	client:deployments() / models() / applications() -> list
//	client:deployment(id) / model(id) / application(id) -> table
//	client:deployment_configuration(id) -> schema | nil
//	client:user_info() -> table;  client:base_url() -> string
//	client:chat(req:table) -> resp            (stream = true, on_chunk = fn(chunk) -> false to stop)
//	client:ask(deployment, prompt [, opts]) -> text, resp
//	client:stream(req:table) -> iterator, stream;  stream:next() / response() / close()
//	client:chat_many(requests:table [, {concurrency}]) -> {{response=…} | {error=…}, …}
//	client:embeddings(req:table) -> resp
//	client:run(req:table) -> resp, history    (tools = {name = {description, parameters, fn}})
//	client:session(opts) -> session;  session:say(text [, opts]) -> text, resp
//	session:messages() -> list;  session:save(url [, opts]) -> true;  session:etag() -> string
//	client:load_session(url) -> session
//	client:files_home() / conversations_home() / prompts_home() / bucket() -> string
//	client.files:upload(url, content | {path=…} [, opts]) -> meta
//	client.files:download(url [, {to=…}]) -> string | info
//	client.files:metadata(url [, {limit, token, recursive}]) -> meta
//	client.files:list(folder [, {recursive, limit}]) -> iterator
//	client.files:move(src, dst [, {overwrite}]) / copy(…) / delete(url [, {if_match}]) -> true
//	client.prompts:save(url, prompt [, opts]) -> meta;  get(url) -> prompt, etag
//	client.prompts:delete(url) -> true;  metadata(url) -> meta;  list(folder) -> iterator
//	client.conversations:get(url [, opts]) -> conversation, etag;  delete(url [, {if_match}]) -> true
//	client.conversations:metadata(url [, opts]) -> meta;  list(folder [, opts]) -> iterator
//	client:request{method, path, query, body, headers} -> value, status:int, headers:table
//	client:tokenize{deployment, inputs} / truncate_prompt{deployment, inputs} -> {outputs=…}
//	client:limits(deployment) / usage(deployment) -> stats;  user_limits() / user_usage() -> table
//	client:appdata_home() -> string | nil
//	headers = {name = value} in requests and options tables: headers of that call only
//
// Handles (client, pool, files, prompts, conversations, applications,
// stream, session) offer exactly the methods and fields
// listed in dialhandles.go, which README.md documents; any other name raises an error naming
// it, and assigning to a handle raises.

package lualib
