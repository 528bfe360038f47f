from django.contrib import admin

from grassroots.core.admin import ReadOnlyAdmin

from .models import Meeting, Need, Participant, Vote

admin.site.register(Need, ReadOnlyAdmin)
admin.site.register(Meeting, ReadOnlyAdmin)
admin.site.register(Participant, ReadOnlyAdmin)
admin.site.register(Vote, ReadOnlyAdmin)
