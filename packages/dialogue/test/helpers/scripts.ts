/** A small script whose text changes per version (for pinning tests). */
export function versionedScript(version: string, greeting: string): string {
  return `<?xml version="1.0"?>
<script id="greet" version="${version}">
  <question id="name" type="text">
    <prompt>${greeting}, what is your name?</prompt>
    <next target="color"/>
  </question>
  <question id="color" type="choice" channels="agent web">
    <prompt>Favourite colour, <value expr="name"/>?</prompt>
    <choice value="red">Red</choice>
    <choice value="blue">Blue</choice>
    <next target="bye"/>
  </question>
  <end id="bye" outcome="greeted-v${version}"/>
</script>
`;
}
