/** Tests run from TypeScript sources: workspace imports resolve to each package's src. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/packages", "<rootDir>/services"],
  testMatch: ["**/src/**/*.test.ts", "**/test/**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022" } }],
    // jose ships ES modules only, which Node 20 loads natively but Jest's CommonJS runtime cannot.
    "/node_modules/jose/.+\\.js$": [
      "@swc/jest",
      { jsc: { target: "es2022" }, module: { type: "commonjs" } },
    ],
  },
  transformIgnorePatterns: ["/node_modules/(?!jose/)"],
  moduleNameMapper: {
    "^@portfolio/(core|proto|http-metrics)$": "<rootDir>/packages/$1/src",
    "^@portfolio/(gateway|metadata|blobs|gc|portfolio)$": "<rootDir>/services/$1/src",
  },
  testTimeout: 30000,
};
