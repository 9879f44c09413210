// The parts of the untyped OpenTok packages that the video token tests call.

declare module 'opentok' {
  namespace OpenTok {
    interface TokenOptions {
      role?: string;
      data?: string;
      expireTime?: number;
      /** Read instead of expireTime when the instance holds Vonage application credentials. */
      expire_time?: number;
      initialLayoutClassList?: string[];
    }
  }
  class OpenTok {
    constructor(apiKey: string, apiSecret: string);
    generateToken(sessionId: string, options?: OpenTok.TokenOptions, generateT1Token?: boolean): string;
  }
  export = OpenTok;
}

declare module 'opentok-token/helpers.js' {
  export function decodeToken(token: string): Record<string, string>;
  export function verifyTokenSignature(token: string, apiSecret: string): boolean;
}
