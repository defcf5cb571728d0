"""Links from national databases and files to the regional dataflows (issue 20, docs/interlinking.md).

Above submission: a link's run reads national rows, translates them through SDMX StructureMap and
RepresentationMap artefacts and submits the result through submission.workflow like any other message.
"""
