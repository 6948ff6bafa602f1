/**
 * Loaded once by mocha before every spec (.mocharc.json): installs Pulumi's mocks (render/engine.ts)
 * for the whole run. Specs run the program with `runProgram` or build components directly and read
 * `recorded()`.
 */
import { installMocks } from "../render/engine";

export const mochaHooks = {
    async beforeAll(): Promise<void> {
        await installMocks();
    },
};
