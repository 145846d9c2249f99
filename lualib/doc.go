// Package lualib holds the Lua modules of dialua and the one bridge between Lua values and
// JSON that they all convert through.
//
// Each module is a struct holding its Go dependencies, with a Loader method that the host
// registers with L.PreloadModule from its one list of modules (see package runtime); scripts
// load modules with require. Nothing here registers itself or sets globals.
//
// # json
//
//	local json = require("json")
//	json.encode(v [, opts:table]) -> s:string | nil, err:string
//	    opts.indent: a string, or a number of spaces, to indent nested values by
//	json.decode(s:string) -> v | nil, err:string
//	json.null -> userdata        JSON null: decode gives it, encode writes null
//	json.array([t:table]) -> t   marks t (or a new table) to encode as an array
//	json.object([t:table]) -> t  marks t (or a new table) to encode as an object
//
// Encoding: a table is an array when its keys are exactly 1..n, an object when its keys are
// strings or when it is empty; json.array and json.object (or a metatable with
// __jsontype = "array" or "object") override that, so an empty table can be [] and number keys
// can become object keys. A sparse or mixed table is an error that says so. Object keys are
// sorted. Numbers with an integral value are written without a fraction (3, not 3.0); NaN and
// infinities are errors. Strings must be valid UTF-8. A table referenced twice is written twice;
// a table that contains itself is an error, not a hang. Errors name the path of the offending
// value ("json: cannot encode a function value (at messages[2].content)").
//
// Decoding: null becomes json.null, so keys and array positions are kept; every object and
// array is a table marked with its shape, so an empty {} or [] encodes back the same; integers
// beyond 2^53 in magnitude become strings of their exact digits (and encode back as strings).
// Invalid UTF-8 and trailing data are errors.
//
// Misuse (an options table with an unknown key, a non-table given to json.array) raises an
// error; data that cannot be converted returns nil and a message.
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
// Handles (client, pool, files, prompts, conversations, stream, session) are Go values exposed
// through gopher-luar with snake_case method names; an unknown name raises an error naming it.
//
// # The bridge for Go modules
//
// [FromJSON] and [FromGo] turn DIAL responses into plain Lua tables by these rules, and
// [ToJSON] and [ToGo] turn script tables into request bodies; [Null], [IsNull], [MarkArray] and
// [MarkObject] build and inspect such values from Go. [Context] gives a Go function the context
// of the running script. All of them must be called on the goroutine that runs the LState.
package lualib
