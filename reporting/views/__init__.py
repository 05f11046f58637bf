"""The reporting pages: dashboards (:mod:`.dashboards`) and meetings with their papers (:mod:`.meetings`)."""
