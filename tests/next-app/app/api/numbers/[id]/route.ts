import { failure, pilot } from "@/lib/pilot";

/** `DELETE /api/numbers/{id}` → `{ ok, restorableUntil? }`. */
export async function DELETE(_req: Request, ctx: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    const { id } = await ctx.params;
    return Response.json(await pilot().numbers.delete(id));
  } catch (e) {
    return failure(e);
  }
}
