from ninja import NinjaAPI

api = NinjaAPI(title="Frontdesk API", version="1", urls_namespace="api")
