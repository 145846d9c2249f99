// Package luabridge is what the Lua host and the Lua modules share: the one bridge between Lua
// values and JSON (and the json module built on it, which every host preloads), the context of
// the running script, and the way back onto the script's goroutine for Go code that runs
// elsewhere. It knows neither the host nor any module: both import it, never the reverse.
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
// # The bridge for Go modules
//
// [FromJSON] and [FromGo] turn DIAL responses into plain Lua tables by these rules, and
// [ToJSON] and [ToGo] turn script tables into request bodies; [Null], [IsNull], [MarkArray] and
// [MarkObject] build and inspect such values from Go. [Context] gives a Go function the context
// of the running script. All of them must be called on the goroutine that runs the LState.
//
// [Offload] runs Go work off that goroutine (requests in parallel) while serving the calls the
// work sends back with [OnThread], so that Lua callbacks still run where they may.
//
// [WithCheckSink] and [CheckSinkOf] carry the checks a module records (dial.check) to the host
// running the unit of work they are about (a batch record), through the script's context.
package luabridge
