"""content API (mounted under /api/v1/ by chorus.api_urls): the staff's content library."""

from rest_framework.routers import SimpleRouter

from content.apis.items import ContentItemViewSet
from content.apis.library import CampaignViewSet, TopicViewSet
from content.apis.revisions import RevisionViewSet
from content.apis.suggestions import SuggestionViewSet
from content.apis.texts import ShareTextViewSet

router = SimpleRouter(use_regex_path=False)
router.register("content/items", ContentItemViewSet, basename="api-content-item")
router.register("content/items/<int:item_pk>/texts", ShareTextViewSet, basename="api-content-text")
router.register("content/revisions", RevisionViewSet, basename="api-content-revision")
router.register("content/campaigns", CampaignViewSet, basename="api-content-campaign")
router.register("content/topics", TopicViewSet, basename="api-content-topic")
router.register("content/suggestions", SuggestionViewSet, basename="api-content-suggestion")

urlpatterns = router.urls
