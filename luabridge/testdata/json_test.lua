-- Tests of the json module, run by lua_test.go through lualib/luatest.
local json = require("json")

-- encodes reports a failure unless json.encode(v, opts) returns exactly want.
local function encodes(t, v, want, opts)
  local got, err = json.encode(v, opts)
  if err then
    t:error("encode failed: " .. err)
    return
  end
  t:equal(got, want)
end

-- fails reports a failure unless fn(...) returns nil and an error containing part.
local function fails(t, part, fn, ...)
  local v, err = fn(...)
  if v ~= nil then
    t:error("expected an error containing '" .. part .. "', got value " .. tostring(v))
  elseif type(err) ~= "string" or not err:find(part, 1, true) then
    t:error("expected an error containing '" .. part .. "', got " .. tostring(err))
  end
end

function TestEncodeScalars(t)
  encodes(t, nil, "null")
  encodes(t, true, "true")
  encodes(t, false, "false")
  encodes(t, json.null, "null")
  encodes(t, 0, "0")
  encodes(t, 3, "3")
  encodes(t, 3.0, "3")
  encodes(t, -2.5, "-2.5")
  encodes(t, 0.1, "0.1")
  encodes(t, 1e21, "1e+21")
  encodes(t, 1e-7, "1e-7")
  encodes(t, 2^53, "9007199254740992")
  encodes(t, 2^60, "1152921504606846976")
  encodes(t, "", '""')
  encodes(t, "héllo ✓ 😀", '"héllo ✓ 😀"')
  encodes(t, "</script>&", '"</script>&"')
  encodes(t, 'a"b\\c\n\t\r\1\31', '"a\\"b\\\\c\\n\\t\\r\\u0001\\u001f"')
end

function TestEncodeNaNAndInfinity(t)
  fails(t, "NaN", json.encode, 0/0)
  fails(t, "+Inf", json.encode, 1/0)
  fails(t, "-Inf", json.encode, { x = -1/0 })
end

function TestEncodeArrays(t)
  encodes(t, { 1, 2, 3 }, "[1,2,3]")
  encodes(t, { "a", { "b", { "c" } } }, '["a",["b",["c"]]]')
  encodes(t, { json.null, 2, json.null }, "[null,2,null]")
  local big = {}
  for i = 1, 200000 do big[i] = i end
  local s = assert(json.encode(big))
  t:equal(#s, #table.concat(big, ",") + 2)
end

function TestEncodeObjectsSortsKeys(t)
  encodes(t, { b = 1, a = 2, c = { z = true, y = false } }, '{"a":2,"b":1,"c":{"y":false,"z":true}}')
  encodes(t, { ["é"] = 1, e = 2, E = 3, ["a b"] = 4 }, '{"E":3,"a b":4,"e":2,"é":1}')
end

function TestEmptyTables(t)
  encodes(t, {}, "{}")
  encodes(t, json.array(), "[]")
  encodes(t, json.array({}), "[]")
  encodes(t, json.object(), "{}")
  encodes(t, { tools = json.array(), extra = json.object() }, '{"extra":{},"tools":[]}')
end

function TestMarkers(t)
  encodes(t, json.object({ 1, 2 }), '{"1":1,"2":2}')
  encodes(t, json.object({ [1.5] = "x", [-1] = "y" }), '{"-1":"y","1.5":"x"}')
  encodes(t, json.array({ [1] = 1, [3] = 3 }), "[1,null,3]")
  -- json.array and json.object return their argument and may re-mark it.
  local tbl = { 1 }
  t:equal(rawequal(json.array(tbl), tbl), true)
  encodes(t, json.object(tbl), '{"1":1}')
  encodes(t, json.array(tbl), "[1]")
  fails(t, "marked as array has key", json.encode, json.array({ a = 1 }))
  fails(t, "sparse array", json.encode, json.array({ [100] = 1 }))
  fails(t, "duplicate object key", json.encode, json.object({ [1] = "a", ["1"] = "b" }))
  -- A foreign metatable is not replaced: the class declares its shape itself.
  local ok, err = pcall(json.array, setmetatable({}, {}))
  t:equal(ok, false)
  t:equal(err:find("already has a metatable", 1, true) ~= nil, true, err)
  local List = { __jsontype = "array" }
  encodes(t, setmetatable({}, List), "[]")
  encodes(t, { setmetatable({ 5 }, List) }, "[[5]]")
  local ok2, err2 = pcall(json.array, 42)
  t:equal(ok2, false)
  t:equal(err2:find("table expected", 1, true) ~= nil, true, err2)
end

function TestEncodeShapeErrors(t)
  fails(t, "sparse array", json.encode, { [1] = 1, [3] = 3 })
  fails(t, "mixes array and object keys", json.encode, { 1, 2, name = "x" })
  fails(t, "object keys must be strings", json.encode, { [true] = 1 })
  fails(t, "cannot encode key 0", json.encode, { [0] = "zero" })
  fails(t, "cannot encode a function value", json.encode, print)
  fails(t, "cannot encode a thread value", json.encode, coroutine.create(function() end))
end

function TestErrorsNameThePath(t)
  fails(t, "cannot encode a function value (at messages[2].content)", json.encode,
    { messages = { { role = "system", content = "x" }, { role = "user", content = print } } })
  fails(t, '(at ["a key"][1])', json.encode, { ["a key"] = { 0/0 } })
end

function TestSharedSubtablesEncode(t)
  local shared = { x = 1 }
  encodes(t, { a = shared, b = shared, c = { shared, shared } },
    '{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":1}]}')
end

function TestCyclesAreErrors(t)
  local a = {}
  a.self = a
  fails(t, "cycle", json.encode, a)
  local b, c = {}, {}
  b[1] = c
  c.back = b
  fails(t, "cycle", json.encode, b)
  local deep = {}
  local cur = deep
  for _ = 1, 2000 do
    cur.next = {}
    cur = cur.next
  end
  fails(t, "nested deeper", json.encode, deep)
end

function TestInvalidUTF8(t)
  fails(t, "not valid UTF-8", json.encode, "ok\255")
  fails(t, "not valid UTF-8", json.encode, { ["\192"] = 1 })
  fails(t, "not valid UTF-8", json.decode, '"\255"')
end

function TestIndent(t)
  local v = { a = { 1, 2 }, b = {}, c = json.array() }
  encodes(t, v, '{\n  "a": [\n    1,\n    2\n  ],\n  "b": {},\n  "c": []\n}', { indent = "  " })
  encodes(t, v, '{\n\t"a": [\n\t\t1,\n\t\t2\n\t],\n\t"b": {},\n\t"c": []\n}', { indent = "\t" })
  encodes(t, { 1 }, "[\n 1\n]", { indent = 1 })
  encodes(t, { 1 }, "[1]", { indent = "" })
  encodes(t, { 1 }, "[1]", nil)
  local ok, err = pcall(json.encode, {}, { pretty = true })
  t:equal(ok, false)
  t:equal(err:find("unknown option \"pretty\"", 1, true) ~= nil, true, err)
  ok, err = pcall(json.encode, {}, { indent = {} })
  t:equal(ok, false)
  t:equal(err:find("indent must be", 1, true) ~= nil, true, err)
end

function TestDecodeScalars(t)
  t:equal(json.decode("null"), json.null)
  t:equal(json.decode("true"), true)
  t:equal(json.decode(" false "), false)
  t:equal(json.decode("1.5"), 1.5)
  t:equal(json.decode("-3"), -3)
  t:equal(json.decode("1e2"), 100)
  t:equal(json.decode('"x\\ny"'), "x\ny")
  t:equal(json.decode('"\\u00e9\\ud83d\\ude00"'), "é😀")
end

function TestDecodeBigIntegersStayExact(t)
  t:equal(json.decode("9007199254740992"), 2^53)
  t:equal(json.decode("-9007199254740992"), -2^53)
  t:equal(json.decode("9007199254740993"), "9007199254740993")
  t:equal(json.decode("-9007199254740993"), "-9007199254740993")
  t:equal(json.decode("123456789012345678901234567890"), "123456789012345678901234567890")
  local v = json.decode('{"id": 1234567890123456789, "n": 42}')
  t:equal(v.id, "1234567890123456789")
  t:equal(v.n, 42)
  fails(t, "out of range", json.decode, "[1e400]")
end

function TestDecodeShapesRoundTrip(t)
  for _, s in ipairs({ "{}", "[]", '{"a":[],"b":{}}', '[[],{},[{}]]', '{"1":"a","2":"b"}' }) do
    t:equal(json.encode(json.decode(s)), s)
  end
  t:equal(getmetatable(json.decode("[]")).__jsontype, "array")
  t:equal(getmetatable(json.decode("{}")).__jsontype, "object")
  -- A decoded array that is emptied by the script still encodes as an array.
  local arr = json.decode("[1]")
  arr[1] = nil
  t:equal(json.encode(arr), "[]")
  -- A decoded table may take another metatable.
  local obj = setmetatable(json.decode('{"a":1}'), { __index = function() return "dflt" end })
  t:equal(obj.zzz, "dflt")
  t:equal(json.encode(obj), '{"a":1}')
end

function TestDecodeNull(t)
  local v = json.decode('{"a":null,"b":[null,1,null]}')
  t:equal(v.a, json.null)
  t:equal(#v.b, 3)
  t:equal(v.b[1], json.null)
  t:equal(v.b[3], json.null)
  t:equal(json.encode(v), '{"a":null,"b":[null,1,null]}')
end

function TestNullSentinel(t)
  t:equal(tostring(json.null), "null")
  t:equal(type(json.null), "userdata")
  t:equal(json.null, require("json").null)
  t:equal(getmetatable(json.null), "json.null")
  t:equal(json.null == nil, false)
end

function TestDecodeErrors(t)
  fails(t, "no value", json.decode, "")
  fails(t, "no value", json.decode, "   ")
  fails(t, "unexpected end", json.decode, "{")
  fails(t, "invalid character", json.decode, "[1,]")
  fails(t, "unexpected end", json.decode, "nul")
  fails(t, "invalid character", json.decode, "nux")
  fails(t, "unexpected data after the value", json.decode, "1 2")
  fails(t, "unexpected data after the value", json.decode, "{} x")
  local ok, err = pcall(json.decode)
  t:equal(ok, false)
  t:equal(err:find("string expected", 1, true) ~= nil, true, err)
end

function TestRoundTripDocument(t)
  local doc = '{"choices":[{"finish_reason":"stop","index":0,"message":{"content":"5",' ..
    '"custom_content":{"attachments":[],"state":null},"role":"assistant"}}],' ..
    '"created":1700000000,"id":"chatcmpl-1","object":"chat.completion",' ..
    '"usage":{"completion_tokens":1,"prompt_tokens":12,"total_tokens":13},' ..
    '"x_big":12345678901234567890123,"x_float":0.25}'
  local v = assert(json.decode(doc))
  t:equal(v.choices[1].message.content, "5")
  t:equal(v.choices[1].message.custom_content.state, json.null)
  local want = doc:gsub("12345678901234567890123", '"12345678901234567890123"')
  t:equal(json.encode(v), want)
  t:equal(json.decode(json.encode(v, { indent = "  " })), v)
end
