// Preloaded (node --require) into a role's process by tests: as the process
// exits, writes to the file PORTFOLIO_TEST_PROBE_FILE names which
// @opentelemetry packages it had loaded and its resident memory (bytes).
const { writeFileSync } = require("node:fs");

process.on("exit", () => {
  const packages = new Set();
  for (const file of Object.keys(require.cache)) {
    const match = /[\\/]node_modules[\\/](@opentelemetry[\\/][^\\/]+)[\\/]/.exec(file);
    if (match) packages.add(match[1].replace("\\", "/"));
  }
  const report = {
    packages: [...packages].sort(),
    rss: process.memoryUsage().rss,
    maxRss: process.resourceUsage().maxRSS * 1024,
  };
  writeFileSync(process.env.PORTFOLIO_TEST_PROBE_FILE, JSON.stringify(report));
});
