"""The API database: cells v2 mappings, request specs, build requests and flavors."""
