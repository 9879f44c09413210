/** Waits in real time: for what keeps its own clock (Redis, a browser, a child process). */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
