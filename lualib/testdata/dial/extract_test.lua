-- Tests of client:extract against the emulator, which answers a json_schema request with a
-- document built from the schema ("sloppy" answers its first request with prose, "unfixable"
-- every one).
local dial = require("dial")

local book = {
  type = "object",
  properties = {
    title = { type = "string" },
    year = { type = "integer", minimum = 1900 },
    genre = { type = "string", enum = { "fiction", "history" } },
    tags = { type = "array", items = { type = "string" }, minItems = 2 },
  },
  required = { "title", "year", "genre" },
}

function TestExtract(t)
  local client = dial.default()
  local doc, resp = client:extract{ deployment = "gpt-4o", prompt = "Dune, 1965, fiction", schema = book,
    system = "Extract the book." }
  t:equal(doc, { title = "example", year = 1900, genre = "fiction", tags = { "example", "example" } })
  t:equal(resp.choices[1].finish_reason, "stop")
  t:equal(type(resp.usage.total_tokens), "number")
end

function TestExtractRepairs(t)
  local client = dial.default()
  local doc = client:extract{ deployment = "sloppy", schema = book,
    messages = { { role = "user", content = "Dune, 1965" } } }
  t:equal(doc and doc.title, "example", "the second answer fits")
end

function TestExtractSchemaError(t)
  local client = dial.default()
  local doc, msg, err = client:extract{ deployment = "unfixable", prompt = "Dune", schema = book, max_attempts = 2 }
  t:equal(doc, nil)
  t:equal(err.kind, "schema")
  t:equal(err.attempts, 2)
  t:equal(#err.errors, 1)
  t:equal(err.errors[1]:sub(1, 14), "invalid JSON: ")
  t:equal(type(err.answer), "string")
  t:equal(err.retryable, false)
  t:equal(msg, err.message)
  t:equal(msg:find("after 2 attempts", 1, true) ~= nil, true, msg)
end

function TestExtractMisuse(t)
  local client = dial.default()
  local cases = {
    { { deployment = "gpt-4o", prompt = "x", schema = { type = 5 } }, "invalid extract request" },
    { { deployment = "gpt-4o", prompt = "x" }, "'schema' must be a table" },
    { { deployment = "gpt-4o", schema = book }, "'messages' (a list of messages) or 'prompt'" },
    { { deployment = "gpt-4o", prompt = "x", messages = {}, schema = book }, "not both" },
    { { deployment = "gpt-4o", messages = {}, schema = book }, "non-empty list" },
    { { deployment = "gpt-4o", prompt = "x", schema = book, max_attempts = 0 }, "positive integer" },
    { { prompt = "x", schema = book }, "'deployment' is required" },
    { { deployment = "gpt-4o", prompt = "x", schema = book, temperature = 0 }, "unknown option 'temperature'" },
  }
  for i, c in ipairs(cases) do
    local ok, msg = pcall(client.extract, client, c[1])
    t:equal(ok, false, "case " .. i)
    if not tostring(msg):find(c[2], 1, true) then
      t:error("case " .. i .. ": " .. tostring(msg) .. " lacks " .. c[2])
    end
  end
end
