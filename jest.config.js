/** Tests run from TypeScript sources: workspace imports resolve to each package's src. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/packages", "<rootDir>/services"],
  testMatch: ["**/src/**/*.test.ts", "**/test/**/*.test.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022" } }] },
  moduleNameMapper: {
    "^@portfolio/(core|proto|http-metrics)$": "<rootDir>/packages/$1/src",
    "^@portfolio/(gateway|metadata|blobs|gc|portfolio)$": "<rootDir>/services/$1/src",
  },
  testTimeout: 30000,
};
