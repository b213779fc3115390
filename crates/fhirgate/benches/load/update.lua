-- PUT a new version of a random seeded patient (no If-Match: every update is a version).
wrk.headers["Content-Type"] = "application/fhir+json"
request = function()
  local id = "bench-" .. math.random(1, 1000)
  local body = '{"resourceType":"Patient","id":"' .. id .. '","active":true,"name":[{"family":"Load","given":["Updated"]}],"birthDate":"1974-12-25"}'
  return wrk.format("PUT", "/fhir/Patient/" .. id, nil, body)
end
