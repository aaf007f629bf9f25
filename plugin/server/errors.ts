// One error shape for every refusal: a code for programs, a sentence for people.
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = (code: string, message: string) => new HttpError(404, code, message);
export const forbidden = (code: string, message: string) => new HttpError(403, code, message);
export const badRequest = (code: string, message: string) => new HttpError(400, code, message);
export const conflict = (code: string, message: string) => new HttpError(409, code, message);
