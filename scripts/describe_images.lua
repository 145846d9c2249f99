-- describe_images.lua: one description per image, attached to the question as a DIAL attachment.
--
-- Shows: attachments = {…} on client:ask: each local file is uploaded once to the caller's
-- files (by its content, so a rerun uploads nothing new) and sent with the question.
-- Run:   dialua scripts/describe_images.lua [IMAGE...]
--        (without arguments it describes scripts/images/*.png; DESCRIBE_DEPLOYMENT picks the
--        model, a vision model on a real DIAL; the emulator's echo lists what it received)
-- Prints: the image, then its description.
local dial = require("dial")

local client = dial.default()
local deployment = os.getenv("DESCRIBE_DEPLOYMENT") or "echo"
local images = { ... }
if #images == 0 then
  images = { "scripts/images/blue.png", "scripts/images/red.png" }
end

for _, path in ipairs(images) do
  local text, _, err = client:ask(deployment, "Describe this image in one sentence.",
    { attachments = { path } })
  print(path)
  print(text or ("  failed: " .. tostring(err)))
end
