-- extract_fields.lua: structured fields from a folder of documents, one JSON line each.
--
-- Shows: client:extract with a JSON Schema table, the repair loop behind it (max_attempts),
-- and a schema error (kind "schema", err.errors) kept as a line of its own instead of stopping
-- the run.
-- Run:   dialua scripts/extract_fields.lua [-o out.jsonl] docs/*.txt
--        (without files it extracts from three sample invoices it writes to temporary files)
-- Writes: {"file": <name>, "fields": {…}} per document, or {"file", "error", "errors"} for one
-- whose answers never fit the schema; to stdout, or to out.jsonl with -o.
local dial = require("dial")
local json = require("json")

local client = dial.default()
local deployment = os.getenv("EXTRACT_DEPLOYMENT") or "gpt-4o"

local invoice = {
  type = "object",
  properties = {
    vendor = { type = "string", description = "Who issued the invoice" },
    date = { type = "string", description = "Issue date, YYYY-MM-DD" },
    currency = { type = "string", enum = { "EUR", "USD", "GBP" } },
    total = { type = "number", minimum = 0 },
    lines = {
      type = "array",
      items = {
        type = "object",
        properties = { description = { type = "string" }, amount = { type = "number" } },
        required = { "description", "amount" },
      },
    },
  },
  required = { "vendor", "date", "currency", "total", "lines" },
  additionalProperties = false,
}

local samples = {
  ["acme-2024-03.txt"] = "ACME Tools Ltd, invoice of 2024-03-14.\n2 hammers 30.00 EUR\n1 saw 25.50 EUR\nTotal 55.50 EUR",
  ["globex-q2.txt"] = "Globex Corporation bills USD 1200 for Q2 consulting, dated 2024-06-30.",
  ["initech.txt"] = "Initech: 3 TPS report covers at 4 GBP each, total 12 GBP. 1 May 2024.",
}

-- documents are {name, path} pairs: the files named on the command line, or the samples
-- written to temporary files.
local out_path, documents, temporary = nil, {}, {}
local i = 1
while arg[i] do
  if arg[i] == "-o" then
    out_path, i = assert(arg[i + 1], "-o needs a file name"), i + 2
  else
    documents[#documents + 1] = { name = arg[i]:match("[^/\\]+$"), path = arg[i] }
    i = i + 1
  end
end
if #documents == 0 then
  local names = {}
  for name in pairs(samples) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write(samples[name])
    f:close()
    documents[#documents + 1] = { name = name, path = path }
    temporary[#temporary + 1] = path
  end
end

local out = io.stdout
if out_path then out = assert(io.open(out_path, "w")) end

local written = 0
for _, doc in ipairs(documents) do
  local f = assert(io.open(doc.path, "r"))
  local text = f:read("*a")
  f:close()
  local fields, msg, err = client:extract{
    deployment = deployment,
    system = "Extract the invoice's fields. Amounts are numbers, dates YYYY-MM-DD.",
    prompt = text,
    schema = invoice,
    max_attempts = 3,
  }
  local line
  if fields then
    line = { file = doc.name, fields = fields }
  elseif err.kind == "schema" then
    line = { file = doc.name, error = msg, errors = err.errors }
  else
    error(msg) -- a failure of the connection or the server ends the run
  end
  out:write(json.encode(line), "\n")
  written = written + 1
end

for _, path in ipairs(temporary) do os.remove(path) end
if out_path then
  out:close()
  print(("wrote %d records to %s"):format(written, out_path))
end
