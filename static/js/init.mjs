// Starts GOV.UK Frontend's components (service navigation toggle, error summary focus, etc.).
// Pages work without JavaScript; this only enhances them. Loaded as an ES module, so browsers too
// old for modules skip it and keep the plain HTML behaviour.
import { initAll } from "/static/govuk/govuk-frontend.min.js";

initAll();
