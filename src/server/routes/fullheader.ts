import type { FastifyPluginAsync } from 'fastify';
import { trimBz2 } from '../../gemini/filename.js';
import { fullHeaderText, presentFile } from '../../services/archive/storedfile.js';
import { BadNameError, checkFileName } from '../names.js';
import { html } from '../views/html.js';
import { layout } from '../views/layout.js';
import { messagePage } from '../views/pages.js';
import { pageContext, sendPage, type SiteContext } from '../web.js';

// GET /fullheader/<filename>: every HDU's header of the present version, as ingest stored it
// (fulltextheader: "--- HDU n ---" then the 80-character cards). Headers whose metadata is
// proprietary (PROP_MD) carry targets and coordinates, so they are shown on the data's terms.

export function splitHdus(fulltext: string): { title: string; cards: string }[] {
  const parts = fulltext.split(/^--- (HDU \d+) ---\n?/m);
  const out: { title: string; cards: string }[] = [];
  if (parts[0].trim()) out.push({ title: 'Header', cards: parts[0] });
  for (let i = 1; i < parts.length; i += 2) out.push({ title: parts[i], cards: parts[i + 1] ?? '' });
  return out;
}

export const fullHeaderRoutes: FastifyPluginAsync<{ ctx: SiteContext }> = async (app, { ctx }) => {
  app.get('/fullheader/:name', async (req, reply) => {
    const pc = await pageContext(ctx, req, reply);
    let name: string;
    try {
      name = trimBz2(checkFileName((req.params as { name: string }).name));
    } catch (e) {
      if (e instanceof BadNameError) return sendPage(reply, messagePage(pc, 'Full header', e.message), 400);
      throw e;
    }
    if (!/\.fits$/i.test(name)) name = `${name}.fits`; // N20200101S0001 works too
    const row = await presentFile(ctx.db, name);
    if (!row) return sendPage(reply, messagePage(pc, 'Full header', `No such file: ${name}`), 404);
    // The archive's rule: a header shows everyone everything unless its metadata is proprietary
    // (PROP_MD), and then only to those who may have the data.
    if (!(await ctx.access.canHaveCoords(req, row))) {
      return sendPage(
        reply,
        messagePage(pc, 'Full header', `${name} has proprietary metadata: you may not see its header.`),
        403,
      );
    }
    const fulltext = await fullHeaderText(ctx.db, row.diskfile_id);
    if (!fulltext)
      return sendPage(reply, messagePage(pc, 'Full header', `No header text was stored for ${name}.`), 404);
    const hdus = splitHdus(fulltext);
    return sendPage(
      reply,
      layout(pc, {
        title: `Full header of ${row.filename}`,
        body: html`<p>
            <a href="/summary/${encodeURIComponent(name)}">Summary</a> ·
            <a href="/file/${encodeURIComponent(row.filename)}">Download</a>
          </p>
          ${hdus.map(
            (h) =>
              html`<section>
                <h2>${h.title}</h2>
                <pre class="header">${h.cards}</pre>
              </section>`,
          )}`,
      }),
    );
  });
};
