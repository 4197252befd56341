# A JSON Resume as a flat ODF text document (FODT) laid out in two columns
# without a table: the name and contact line across the top, then a
# section of two columns of unequal width, the work history in the wide
# left one and, after a column break, skills, education, languages and
# certificates in the narrow right one (a sidebar). Used by make.sh:
#   jq -r -f two-column.jq NAME.lo.json > NAME-two-column.fodt
def x: tostring | @html;
def p(style; text): "<text:p text:style-name=\"\(style)\">\(text | x)</text:p>";
def h(style; text): "<text:h text:style-name=\"\(style)\" text:outline-level=\"1\">\(text | x)</text:h>";
def dates: [.startDate, (.endDate // "Present")] | map(select(. != null)) | join(" – ");
def bullets: if (.highlights // []) | length > 0
  then "<text:list text:style-name=\"Bullets\">"
       + (.highlights | map("<text:list-item>" + p("Bullet"; .) + "</text:list-item>") | join(""))
       + "</text:list>"
  else "" end;
def role(head): p("EntryHead"; head) + (if .startDate then p("Meta"; dates) else "" end)
  + (if .summary then p("Body"; .summary) else "" end) + bullets;
def header: .basics as $b
  | p("Name"; $b.name)
  + (if $b.label then p("Label"; $b.label) else "" end)
  + p("Contact"; [$b.email, $b.phone, ($b.location // {} | [.city, .region] | map(select(.)) | join(", "))]
                 | map(select(. != null and . != "")) | join(" | "));
def main: (if .basics.summary then h("Heading"; "Summary") + p("Body"; .basics.summary) else "" end)
  + (if (.work // []) | length > 0
     then h("Heading"; "Experience") + (.work | map(role("\(.position) — \(.name)")) | join("")) else "" end)
  + (if (.projects // []) | length > 0
     then h("Heading"; "Projects") + (.projects | map(.summary = .description | role(.name)) | join(""))
     else "" end);
def side: h("SideFirst"; "Skills")
  + (.skills // [] | map(p("Side"; "\(.name): \(.keywords | join(", "))")) | join(""))
  + (if (.education // []) | length > 0 then h("Heading"; "Education")
     + (.education | map(p("EntryHead"; "\(.studyType) in \(.area)") + p("Side"; .institution)
                         + p("Meta"; dates)) | join("")) else "" end)
  + (if (.languages // []) | length > 0 then h("Heading"; "Languages")
     + (.languages | map(p("Side"; "\(.language) (\(.fluency))")) | join("")) else "" end)
  + (if (.certificates // []) | length > 0 then h("Heading"; "Certifications")
     + (.certificates | map(p("Side"; "\(.name), \(.issuer), \(.date)")) | join("")) else "" end);
"<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<office:document xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\"
 xmlns:style=\"urn:oasis:names:tc:opendocument:xmlns:style:1.0\"
 xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\"
 xmlns:fo=\"urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0\"
 xmlns:svg=\"urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0\"
 office:version=\"1.3\" office:mimetype=\"application/vnd.oasis.opendocument.text\">
<office:font-face-decls>
 <style:font-face style:name=\"DejaVu Sans\" svg:font-family=\"'DejaVu Sans'\" style:font-family-generic=\"swiss\"/>
</office:font-face-decls>
<office:styles>
 <style:default-style style:family=\"paragraph\">
  <style:paragraph-properties fo:margin-top=\"0cm\" fo:margin-bottom=\"0.06cm\"/>
  <style:text-properties style:font-name=\"DejaVu Sans\" fo:font-size=\"9pt\" fo:language=\"en\" fo:country=\"US\"/>
 </style:default-style>
 <style:style style:name=\"Body\" style:family=\"paragraph\"/>
 <style:style style:name=\"Bullet\" style:family=\"paragraph\"/>
 <style:style style:name=\"Meta\" style:family=\"paragraph\"/>
 <style:style style:name=\"Side\" style:family=\"paragraph\"/>
 <style:style style:name=\"Contact\" style:family=\"paragraph\">
  <style:paragraph-properties fo:margin-bottom=\"0.4cm\"/>
 </style:style>
 <style:style style:name=\"Name\" style:family=\"paragraph\">
  <style:text-properties fo:font-size=\"20pt\" fo:font-weight=\"bold\"/>
 </style:style>
 <style:style style:name=\"Label\" style:family=\"paragraph\">
  <style:text-properties fo:font-size=\"11pt\"/>
 </style:style>
 <style:style style:name=\"Heading\" style:family=\"paragraph\">
  <style:paragraph-properties fo:margin-top=\"0.3cm\" fo:margin-bottom=\"0.12cm\" fo:keep-with-next=\"always\"/>
  <style:text-properties fo:font-size=\"12pt\" fo:font-weight=\"bold\"/>
 </style:style>
 <style:style style:name=\"SideFirst\" style:family=\"paragraph\" style:parent-style-name=\"Heading\">
  <style:paragraph-properties fo:break-before=\"column\"/>
 </style:style>
 <style:style style:name=\"EntryHead\" style:family=\"paragraph\">
  <style:paragraph-properties fo:margin-top=\"0.2cm\" fo:keep-with-next=\"always\"/>
  <style:text-properties fo:font-weight=\"bold\"/>
 </style:style>
 <text:list-style style:name=\"Bullets\">
  <text:list-level-style-bullet text:level=\"1\" text:bullet-char=\"•\">
   <style:list-level-properties text:list-level-position-and-space-mode=\"label-alignment\">
    <style:list-level-label-alignment text:label-followed-by=\"listtab\" text:list-tab-stop-position=\"0.45cm\" fo:text-indent=\"-0.35cm\" fo:margin-left=\"0.45cm\"/>
   </style:list-level-properties>
  </text:list-level-style-bullet>
 </text:list-style>
</office:styles>
<office:automatic-styles>
 <style:style style:name=\"Columns\" style:family=\"section\">
  <style:section-properties text:dont-balance-text-columns=\"true\">
   <style:columns fo:column-count=\"2\" fo:column-gap=\"0.8cm\">
    <style:column style:rel-width=\"6500*\" fo:start-indent=\"0cm\" fo:end-indent=\"0.4cm\"/>
    <style:column style:rel-width=\"3500*\" fo:start-indent=\"0.4cm\" fo:end-indent=\"0cm\"/>
   </style:columns>
  </style:section-properties>
 </style:style>
 <style:page-layout style:name=\"Page\">
  <style:page-layout-properties fo:page-width=\"21cm\" fo:page-height=\"29.7cm\" fo:margin-top=\"1.5cm\" fo:margin-bottom=\"1.5cm\" fo:margin-left=\"1.6cm\" fo:margin-right=\"1.6cm\"/>
 </style:page-layout>
</office:automatic-styles>
<office:master-styles>
 <style:master-page style:name=\"Standard\" style:page-layout-name=\"Page\"/>
</office:master-styles>
<office:body><office:text>
\(header)
<text:section text:style-name=\"Columns\" text:name=\"Columns\">
\(main)
\(side)
</text:section>
</office:text></office:body></office:document>"
