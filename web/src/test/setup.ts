import { configure } from "@testing-library/react";

// waitFor and findBy give up after 1 s by default; the suite runs beside live-stream tests on a
// small machine, where a render can take longer without anything being wrong.
configure({ asyncUtilTimeout: 5000 });
